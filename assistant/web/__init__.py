"""The Gradio web app, one module per tab; app.py assembles them."""
