"""singlewindow.verification."""
