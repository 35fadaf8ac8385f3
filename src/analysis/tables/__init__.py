"""The tables: vocabulary, frame rules and the pandera schemas, the one contract of every table."""
