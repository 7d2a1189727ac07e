"""singlewindow.storage."""
