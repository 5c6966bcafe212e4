"""The Gradio web app, one module per tab; `assistant.web.ui.build_app` assembles them for app.py.

Kept import-free so that `assistant.web.launcher` (used by tests and scripts) does not pull in Gradio.
"""
