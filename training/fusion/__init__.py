"""fusion model: training, evaluation and network definition."""
