"""Optional generated answers from any OpenAI-compatible endpoint, checked against the
passages they were given, with the extractive answer as the fallback for every request."""
