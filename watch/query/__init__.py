"""The archive searched, shown, plotted and browsed."""
