"""singlewindow.pki."""
