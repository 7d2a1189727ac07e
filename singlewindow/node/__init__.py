"""singlewindow.node."""
