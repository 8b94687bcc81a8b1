"""Model repository builder, export code, model cards and small trained artifacts."""
