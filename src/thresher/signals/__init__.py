"""Signal annotators: numbers computed over documents and segments that policies threshold."""
