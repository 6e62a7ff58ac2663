from . import VERSION, MAJOR

version = VERSION
version_info = (MAJOR, 0, 0, "final", 0, "")
series = serie = major_version = "%d.0" % MAJOR
