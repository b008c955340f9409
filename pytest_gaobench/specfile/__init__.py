"""A benchmark file, read: its YAML parsed once with its line numbers (``yaml_source``,
PyYAML only, shared by collection's folder scan), validated into the model's
``BenchmarkConfig`` with every issue at its file and line (``load``, ``lines``), and the
checks that look at the disk: the folders and files it names exist inside its folder
(``paths``). It may import only the model.
"""
