"""Agreement, disagreements and adjudication (pure Python, no Qt)."""
