"""singlewindow.harness."""
