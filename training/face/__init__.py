"""face model: training, evaluation and network definition."""
