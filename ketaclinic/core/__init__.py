"""The clinical brain: pure Python, no Django imports."""
