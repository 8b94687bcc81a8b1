"""Shot detection: the learned gradual-transition scorer of the cascade's stage 1."""
