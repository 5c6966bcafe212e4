"""Ingestion scripts that turn raw seed documents into the committed corpus."""
