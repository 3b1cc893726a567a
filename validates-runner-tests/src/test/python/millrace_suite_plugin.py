"""Pytest plugin for Beam's portable runner suite on Millrace.

Beam's wheel ships its test modules but not the conftest.py that registers
``--test-pipeline-options``; this registers it the same way. It also applies
Millrace's exclusion list: every test it names is skipped with the reason on
its line, and a line that names no collected test is an error, so the list
cannot go stale. ``--millrace-ignore-exclusions`` runs the excluded tests too,
to check that each still fails.
"""
import pytest

_EXCLUDED = pytest.StashKey[dict]()


def pytest_addoption(parser):
  parser.addoption(
      '--test-pipeline-options',
      dest='test_pipeline_options',
      default='',
      help='Pipeline options for the tests, as Beam passes them.')
  parser.addoption(
      '--millrace-exclusions',
      dest='millrace_exclusions',
      default=None,
      help='File of "Class::test | reason" lines to skip.')
  parser.addoption(
      '--millrace-ignore-exclusions',
      dest='millrace_ignore_exclusions',
      action='store_true',
      help='Run the excluded tests too.')


def pytest_configure(config):
  from apache_beam.testing.test_pipeline import TestPipeline
  TestPipeline.pytest_test_pipeline_options = config.getoption(
      'test_pipeline_options', default='')
  config.stash[_EXCLUDED] = _read_exclusions(
      config.getoption('millrace_exclusions'))


def _read_exclusions(path):
  excluded = {}
  if not path:
    return excluded
  with open(path, encoding='utf-8') as f:
    for number, line in enumerate(f, 1):
      line = line.strip()
      if not line or line.startswith('#'):
        continue
      name, sep, reason = line.partition('|')
      if not sep or not reason.strip():
        raise pytest.UsageError(
            '%s:%d: "%s" has no reason after "|"' % (path, number, line))
      excluded[name.strip()] = reason.strip()
  return excluded


def pytest_collection_modifyitems(config, items):
  excluded = config.stash[_EXCLUDED]
  ids = {}
  for item in items:
    ids['%s::%s' % (item.cls.__name__ if item.cls else '', item.name)] = item
  stale = sorted(set(excluded) - set(ids))
  if stale and config.getoption('keyword') == '':
    raise pytest.UsageError(
        'exclusions that name no collected test: %s' % ', '.join(stale))
  if config.getoption('millrace_ignore_exclusions'):
    return
  for name, reason in excluded.items():
    if name in ids:
      ids[name].add_marker(pytest.mark.skip(reason='excluded: ' + reason))
