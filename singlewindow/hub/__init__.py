"""singlewindow.hub."""
