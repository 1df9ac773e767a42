"""One adapter per external service: the Hugging Face Hub, an OpenAI-compatible LLM, subprocesses."""
