"""text model: training, evaluation and network definition."""
