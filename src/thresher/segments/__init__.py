"""Segmenters: split a document's text into labelled spans (title, main, comment, ...)."""
