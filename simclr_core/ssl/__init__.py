"""Self-supervised learning (SimCLR): augmentation, encoder, head, NT-Xent loss, LARS,
the schedule, pretraining and its checkpoints, and extracting representations."""
