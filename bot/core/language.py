"""Which language a question is in, so a question we cannot answer well is told so in its own
language instead of getting "the roadmap doesn't cover that".

The roadmap and the embedding model are English. Identification uses py3langid (a maintained
fork of langid.py, model bundled, offline); short English chat ("ml roadmap?", "CNN vs RNN") is
often misread by any identifier, so a message counts as non-English only when the identifier
is confident AND the message has almost no English function words.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Words that almost every English question contains one of, and other languages rarely do.
_ENGLISH_FUNCTION = frozenset(
    [
        "a",
        "an",
        "the",
        "is",
        "are",
        "am",
        "was",
        "were",
        "be",
        "do",
        "does",
        "did",
        "i",
        "you",
        "we",
        "my",
        "your",
        "me",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "how",
        "why",
        "when",
        "where",
        "should",
        "can",
        "could",
        "would",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "to",
        "of",
        "in",
        "on",
        "for",
        "with",
        "about",
        "from",
        "and",
        "or",
        "but",
        "not",
        "if",
        "it",
        "this",
        "that",
        "these",
        "those",
        "there",
        "their",
        "there's",
        "it's",
        "i'm",
        "need",
        "want",
        "learn",
        "start",
        "get",
        "good",
        "best",
        "any",
        "some",
        "much",
        "many",
        "after",
        "before",
    ]
)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
MIN_CONFIDENCE = 0.6
MIN_CONFIDENCE_NO_ENGLISH = 0.35

# "I answer in English for now" in the languages learners most often write to us in.
NOT_ENGLISH_YET = {
    "es": "Por ahora solo respondo en inglés. Prueba a preguntarme en inglés, por ejemplo:",
    "de": "Ich antworte vorerst nur auf Englisch. Frag mich bitte auf Englisch, zum Beispiel:",
    "fr": "Pour l'instant, je réponds uniquement en anglais. Pose-moi ta question en anglais, "
    "par exemple :",
    "pt": "Por enquanto, só respondo em inglês. Tente perguntar em inglês, por exemplo:",
    "it": "Per ora rispondo solo in inglese. Prova a chiedermelo in inglese, per esempio:",
    "nl": "Voorlopig antwoord ik alleen in het Engels. Stel je vraag in het Engels, bijvoorbeeld:",
    "pl": "Na razie odpowiadam tylko po angielsku. Zadaj pytanie po angielsku, na przykład:",
    "ru": "Пока я отвечаю только на английском. Задайте вопрос по-английски, например:",
    "uk": "Поки що я відповідаю лише англійською. Поставте запитання англійською, наприклад:",
    "tr": "Şimdilik yalnızca İngilizce yanıt veriyorum. Sorunu İngilizce sor, örneğin:",
    "zh": "目前我只能用英语回答。请用英语提问，例如：",
    "ja": "今のところ英語でのみお答えしています。英語で質問してください。例えば：",
    "ko": "지금은 영어로만 답변합니다. 영어로 질문해 주세요. 예를 들어:",
    "hi": "अभी मैं केवल अंग्रेज़ी में जवाब देता हूँ। कृपया अंग्रेज़ी में पूछें, उदाहरण के लिए:",
    "ar": "أجيب باللغة الإنجليزية فقط حاليًا. اطرح سؤالك بالإنجليزية، على سبيل المثال:",
    "id": "Untuk saat ini saya hanya menjawab dalam bahasa Inggris. Tanyakan dalam bahasa "
    "Inggris, misalnya:",
    "vi": "Hiện tại tôi chỉ trả lời bằng tiếng Anh. Hãy hỏi bằng tiếng Anh, ví dụ:",
}
FALLBACK = "I answer in English for now. Please ask in English, for example:"


@functools.lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _latin_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 1.0
    latin = sum("LATIN" in unicodedata.name(ch, "") for ch in letters)
    return latin / len(letters)


def english_words(text: str) -> int:
    return sum(w.lower() in _ENGLISH_FUNCTION for w in _WORD.findall(text))


def english_part(text: str) -> str:
    """From a message mixing scripts ("ما هي…؟ what math do I need?") or languages ("em học
    lớp 11, không có GPU. I'm 17, what ML project can I build?"), the English question, when
    there is one; otherwise the message unchanged."""
    if _latin_share(text) > 0.9:
        return _english_sentences(text)
    latin = [w for w in text.split() if _latin_share(w) > 0.5]
    if len(latin) >= 3 and english_words(" ".join(latin)) >= 2:
        return " ".join(latin)
    return text


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\s+[—–]\s+|\n+")


def _english_sentences(text: str) -> str:
    """The message without its sentences in another language, when some sentence is English;
    a sentence is dropped only when it has no English function word and is identified as
    another language with confidence."""
    sentences = [p for p in _SENTENCE.split(text) if p.strip()]
    if len(sentences) < 2:
        return text
    kept = [p for p in sentences if not _other_language(p)]
    return " ".join(kept) if kept and len(kept) < len(sentences) else text


def _other_language(sentence: str) -> bool:
    if english_words(sentence) or len(_WORD.findall(sentence)) < 3:
        return False
    lang, prob = _identifier().classify(sentence)
    return lang not in ("en", "zxx") and prob >= MIN_CONFIDENCE


def detect_non_english(text: str) -> str | None:
    """The ISO 639-1 code of a message in another language, or None for English (or unsure)."""
    words = _WORD.findall(text)
    if not words:
        return None
    latin = _latin_share(text)
    if latin > 0.5 and english_words(text) >= max(1, len(words) // 4):
        return None  # English function words: English, whatever a short-text identifier says
    lang, prob = _identifier().classify(text)
    if lang in ("en", "zxx"):  # zxx: no linguistic content (keyboard mashing)
        return None
    if latin <= 0.5 or (prob >= MIN_CONFIDENCE and len(words) >= 3):
        return lang
    if prob >= MIN_CONFIDENCE_NO_ENGLISH and len(words) >= 3 and english_words(text) == 0:
        return lang  # not one English function word in three or more words
    return None


def not_english_message(lang: str) -> str:
    return NOT_ENGLISH_YET.get(lang, FALLBACK)
