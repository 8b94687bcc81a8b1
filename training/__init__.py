"""Training and evaluation per modality, with the network definitions; never imported by served code."""
