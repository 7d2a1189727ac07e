"""singlewindow.xmlsec."""
