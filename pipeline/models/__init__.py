"""Models, one module each, written once and generic over the number format."""
