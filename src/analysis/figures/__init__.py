"""Figures for articles, by stage of making one (the public names are in :mod:`analysis.plots`).

``style``   the house style: article width, colours, the style sheet, ``house_style()``
``words``   the words of charts: labels, counts, periods (dates as words: :mod:`analysis.wording`)
``axes``    date and count axes every chart shares
``layout``  title block, notes, source line, legend, SYNTHETIC mark; the :class:`~layout.ChartRecord`
``charts``  attacks per day, breakdown by group, civilian harm by settlement, air attacks
``map``     the event map
``save``    :func:`~save.save_figure`, the one writer of chart files

Each module imports only those above it; nothing here computes numbers (:mod:`analysis.metrics`)
or reads data (:mod:`analysis.metrics.loaders`).
"""
