"""labelapp: label images with as few labels as possible (Django web app)."""
