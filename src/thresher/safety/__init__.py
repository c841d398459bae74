"""Safety and spam signals: toxicity (model + threat patterns), adult content (lexicon), link farms.

Every score is in [0, 1] with 0.5 as the flag threshold, per segment and per document
(the maximum over segments), so one policy threshold reads the same on every signal.
"""
