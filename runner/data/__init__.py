"""Loading, column detection, inspection and splitting of labelled text datasets."""
