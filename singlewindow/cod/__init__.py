"""singlewindow.cod."""
