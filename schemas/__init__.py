"""The dataset's tables, declared once (`schemas.tables`), and what is derived from them."""
