#!/usr/bin/env python3
"""Python columns of the Millrace benchmarks.

A few queries written with Beam's Python SDK, run through the Millrace job server and through
Beam's Flink job server (an embedded local Flink cluster) on the same machine, at the same N and
parallelism, each submitted with PortableRunner and a LOOPBACK environment (the SDK harness runs in
the submitting Python process). Prints a markdown table: events/s (median over rounds) of each
runner, the ratio Millrace / Flink, and the checksum both runners must agree on.

The input is generated inside the pipeline from (seed, index): Impulse, a FlatMap emitting index
ranges, Reshuffle, and a FlatMap generating the events of each range with their timestamps. No
runner reads a file, and both see the same stream however they split it.

Each query's output ends in an order-independent checksum (the number of lines and the wrapping
64-bit sum of a hash of each line), computed in the pipeline by one CombineGlobally and written to
a small file that is read after the job. If the runners disagree, the run fails.

Each measurement runs in a fresh Python process (this script with --job), one at a time. It times
run() + wait_until_finish(); building the pipeline and importing Beam are not timed. The job
servers are started once per run and stopped at its end, also on failure.

    python python_bench.py [--events N] [--rounds R] [--queries WC,WINDOWED,STATEFUL]
                           [--runners millrace,flink] [--output FILE]
"""

import argparse
import glob
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCHMARKS = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
REPO = os.path.dirname(BENCHMARKS)

QUERIES = ['WC', 'WINDOWED', 'STATEFUL']
RUNNERS = ['millrace', 'flink']
RUNNER_TITLES = {'millrace': 'Millrace', 'flink': 'Flink'}

# ---------------------------------------------------------------------------------------------
# The event stream: every event a pure function of (seed, index).
# ---------------------------------------------------------------------------------------------

MASK64 = (1 << 64) - 1
EVENTS_PER_MS = 10  # ten events per millisecond of event time, as the Java generator
USER_SPAN_MS = 5000  # a user is active for 5 s of event time ...
USERS_PER_SPAN = 500  # ... among 500 users active in the same span
ITEMS = 2000
SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'be', 'di', 'fu', 'ga', 'ho', 'ji',
             'pe', 'zu']
VOCABULARY = [SYLLABLES[i >> 8] + SYLLABLES[(i >> 4) & 15] + SYLLABLES[i & 15]
              for i in range(2048)]


def mix64(z):
  """SplitMix64's finalizer: a well-mixed 64-bit value of z."""
  z = (z + 0x9E3779B97F4A7C15) & MASK64
  z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
  z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
  return z ^ (z >> 31)


def event(seed, index):
  """The event at index: (timestamp ms, user, item, amount, hash)."""
  h = mix64((seed << 40) + index)
  ts_ms = index // EVENTS_PER_MS
  user = (ts_ms // USER_SPAN_MS) * USERS_PER_SPAN + h % USERS_PER_SPAN
  item = (h >> 16) % ITEMS
  amount = 1 + (h >> 32) % 10000
  return ts_ms, user, item, amount, h


def text_of(h):
  """An event's text: 1 to 4 words, skewed towards the start of the vocabulary."""
  words = []
  for k in range(1 + (h >> 60) % 4):
    r = (h >> (11 * k)) & 2047
    words.append(VOCABULARY[(r * r) >> 11])
  return ' '.join(words)


def line_hash(line):
  return int.from_bytes(hashlib.blake2b(line.encode('utf-8'), digest_size=8).digest(), 'little')


# ---------------------------------------------------------------------------------------------
# Pipelines (only the --job processes import Beam).
# ---------------------------------------------------------------------------------------------


def build_pipeline(query, events, seed, chunks, result_file, pipeline_args):
  import apache_beam as beam
  from apache_beam.coders import TupleCoder, VarIntCoder
  from apache_beam.options.pipeline_options import PipelineOptions
  from apache_beam.transforms import window
  from apache_beam.transforms.timeutil import TimeDomain
  from apache_beam.transforms.userstate import BagStateSpec, ReadModifyWriteStateSpec, TimerSpec, on_timer
  from apache_beam.utils.timestamp import Timestamp

  def ranges(_):
    for c in range(chunks):
      yield events * c // chunks, events * (c + 1) // chunks

  def generate(bounds):
    for index in range(bounds[0], bounds[1]):
      e = event(seed, index)
      yield window.TimestampedValue(e, Timestamp(micros=e[0] * 1000))

  class ChecksumFn(beam.CombineFn):
    def create_accumulator(self):
      return 0, 0

    def add_input(self, acc, line):
      return acc[0] + 1, (acc[1] + line_hash(line)) & MASK64

    def merge_accumulators(self, accs):
      lines = total = 0
      for n, s in accs:
        lines += n
        total = (total + s) & MASK64
      return lines, total

    def extract_output(self, acc):
      return acc

  def write_checksum(checksum):
    with open(result_file + '.tmp', 'w') as f:
      f.write('%d %d\n' % checksum)
    os.replace(result_file + '.tmp', result_file)

  class PerSecondSums(beam.DoFn):
    """Per user: the number and the sum of the amounts of each second of event time, and the
    user's running total, each second reported by an event-time timer at its end.

    Every element adds itself to a bag and sets the key's one timer to the end of its second, with
    no state read per element. When the timer fires at T, the seconds before T are complete (the
    watermark has passed them): they are reported, the later ones stay in the bag as one entry per
    second, and the timer is set again to the end of the earliest of them. The lines depend on
    event time only, not on arrival order or on which timer set happened last."""
    PENDING = BagStateSpec('pending', TupleCoder([VarIntCoder(), VarIntCoder(), VarIntCoder()]))
    TOTAL = ReadModifyWriteStateSpec('total', VarIntCoder())
    SECOND = TimerSpec('second', TimeDomain.WATERMARK)

    def process(self, element, pending=beam.DoFn.StateParam(PENDING),
                timer=beam.DoFn.TimerParam(SECOND)):
      ts_ms, amount = element[1]
      second = ts_ms // 1000
      pending.add((second, 1, amount))
      timer.set(Timestamp(seconds=second + 1))

    @on_timer(SECOND)
    def on_second(self, key=beam.DoFn.KeyParam, fired=beam.DoFn.TimestampParam,
                  pending=beam.DoFn.StateParam(PENDING), total=beam.DoFn.StateParam(TOTAL),
                  timer=beam.DoFn.TimerParam(SECOND)):
      complete_before = fired.micros // 1_000_000
      per_second = {}
      for second, n, amount in pending.read():
        seen = per_second.get(second)
        per_second[second] = (n, amount) if seen is None else (seen[0] + n, seen[1] + amount)
      running = total.read() or 0
      for second in sorted(s for s in per_second if s < complete_before):
        n, amount = per_second.pop(second)
        running += amount
        yield '%d,%d,%d,%d,%d' % (key, second, n, amount, running)
      total.write(running)
      pending.clear()
      if per_second:
        for second in sorted(per_second):
          pending.add((second,) + per_second[second])
        timer.set(Timestamp(seconds=min(per_second) + 1))

  def format_window(kv, w=beam.DoFn.WindowParam):
    return '%d,%d,%d' % (kv[0], w.start.micros // 1000, kv[1])

  options = PipelineOptions(pipeline_args)
  p = beam.Pipeline(options=options)
  evs = (p
         | 'Impulse' >> beam.Impulse()
         | 'Ranges' >> beam.FlatMap(ranges)
         | 'Spread' >> beam.Reshuffle()
         | 'Generate' >> beam.FlatMap(generate))
  if query == 'WC':
    lines = (evs
             | 'Words' >> beam.FlatMap(lambda e: text_of(e[4]).split(' '))
             | 'Count' >> beam.combiners.Count.PerElement()
             | 'Format' >> beam.MapTuple(lambda word, n: '%s,%d' % (word, n)))
  elif query == 'WINDOWED':
    lines = (evs
             | 'Window' >> beam.WindowInto(window.FixedWindows(10))
             | 'ByItem' >> beam.Map(lambda e: (e[2], 1))
             | 'Count' >> beam.CombinePerKey(sum)
             | 'Format' >> beam.Map(format_window))
  elif query == 'STATEFUL':
    lines = (evs
             | 'ByUser' >> beam.Map(lambda e: (e[1], (e[0], e[3])))
             | 'PerSecond' >> beam.ParDo(PerSecondSums()))
  else:
    raise ValueError('unknown query ' + query)
  _ = (lines
       | 'Global' >> beam.WindowInto(window.GlobalWindows())
       | 'Checksum' >> beam.CombineGlobally(ChecksumFn())
       | 'Write' >> beam.Map(write_checksum))
  return p


def run_job(args):
  """One measurement (--job): prints one RESULT line of JSON."""
  import logging
  logging.basicConfig(level=logging.WARNING)
  own_dir = None
  result_file = args.result_file
  if not result_file:
    own_dir = tempfile.mkdtemp(prefix='python-bench-result-')
    result_file = os.path.join(own_dir, 'checksum')
  try:
    run_pipeline(args, result_file)
  finally:
    if own_dir:
      shutil.rmtree(own_dir, ignore_errors=True)


def run_pipeline(args, result_file):
  pipeline_args = ['--runner=PortableRunner', '--job_endpoint=' + args.endpoint,
                   '--environment_type=LOOPBACK', '--parallelism=%d' % args.parallelism,
                   '--job_name=python-bench-%s-%s' % (args.job.lower(), args.runner_name)]
  pipeline_args += shlex.split(args.pipeline_args or '')
  p = build_pipeline(args.job, args.events, args.seed, args.chunks, result_file, pipeline_args)
  result = None

  def watchdog():
    print('job still running after %d s: cancelling' % args.job_timeout_seconds, file=sys.stderr, flush=True)
    try:
      if result is not None:
        result.cancel()
    finally:
      os._exit(3)

  timer = threading.Timer(args.job_timeout_seconds, watchdog)
  timer.daemon = True
  timer.start()
  cpu_before = os.times()
  start = time.perf_counter()
  result = p.run()
  state = result.wait_until_finish()
  seconds = time.perf_counter() - start
  cpu_after = os.times()
  # This process: the client and, with LOOPBACK, every SDK harness of the job (threads).
  python_cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
  timer.cancel()
  if str(state) not in ('DONE', 'PipelineState.DONE'):
    print('job ended %s' % state, file=sys.stderr)
    sys.exit(1)
  with open(result_file) as f:
    lines, total = (int(x) for x in f.read().split())
  print('RESULT ' + json.dumps({'query': args.job, 'runner': args.runner_name, 'events': args.events,
                                'seconds': seconds, 'python_cpu': python_cpu, 'lines': lines,
                                'sum': total}), flush=True)


# ---------------------------------------------------------------------------------------------
# Job servers.
# ---------------------------------------------------------------------------------------------


NETNS_ENV = 'PYTHON_BENCH_PRIVATE_NETWORK'


def only_loopback():
  return [name for _, name in socket.if_nameindex()] == ['lo']


def network_description():
  if os.environ.get(NETNS_ENV) == '1' and only_loopback():
    return ('a private network namespace with only the loopback interface (`unshare --net`), so '
            'every server of the run is reachable from this machine\'s run only')
  return ('the host\'s network. Millrace binds its job and artifact services to localhost; Beam\'s '
          'Flink job server binds all interfaces whatever `--job-host` says (its ServerFactory '
          'builds the server with `forPort`)')


def enter_private_network(argv):
  """Runs this script again in a new network namespace with only loopback, up. Beam's Flink job
  server binds its job and artifact services to all interfaces even with --job-host=localhost;
  in the namespace, all interfaces are loopback."""
  unshare, ip = shutil.which('unshare'), shutil.which('ip') or '/usr/sbin/ip'
  if unshare is None or not os.path.exists(ip):
    return 'no unshare or ip command'
  probe = subprocess.run([unshare, '--net', ip, 'link', 'set', 'lo', 'up'], capture_output=True, text=True)
  if probe.returncode != 0:
    return 'unshare --net failed: %s' % (probe.stderr.strip() or probe.returncode)
  env = dict(os.environ)
  env[NETNS_ENV] = '1'
  script = 'set -e; %s link set lo up; exec "$@"' % shlex.quote(ip)
  sys.stdout.flush()
  sys.stderr.flush()
  os.execvpe(unshare, [unshare, '--net', '--', 'sh', '-c', script, 'sh', sys.executable,
                       os.path.abspath(__file__)] + argv, env)


def kill_group(pid, sig):
  """Signals the process group of a process this script started in a session of its own."""
  try:
    os.killpg(pid, sig)
  except ProcessLookupError:
    pass


def free_port():
  with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


def flink_job_server_command(args):
  """Beam's Flink job server: the -job-server jar if there is one; otherwise its driver class from
  Beam's Flink runner artifact, on the class path the Java Flink columns use
  (target/flink.classpath, resolved by Maven from flink-classpath/pom.xml as FlinkClassPath does)."""
  jar = args.flink_job_server
  if not jar:
    found = sorted(glob.glob(os.path.join(BENCHMARKS, 'target', 'flink-job-server', '*.jar')))
    jar = found[0] if found else None
  if jar:
    return ['-jar', jar], 'Beam\'s Flink job server jar `%s`' % os.path.basename(jar)
  pom = os.path.join(BENCHMARKS, 'flink-classpath', 'pom.xml')
  resolved = os.path.join(BENCHMARKS, 'target', 'flink.classpath')
  if not os.path.exists(resolved) or os.path.getmtime(resolved) < os.path.getmtime(pom):
    print('Resolving the Flink runner\'s class path from %s' % pom, file=sys.stderr)
    os.makedirs(os.path.dirname(resolved), exist_ok=True)
    subprocess.run(['mvn', '-B', '-q', '-f', pom, 'dependency:build-classpath',
                    '-Dmdep.outputFile=' + resolved], check=True)
  with open(resolved) as f:
    entries = [e for e in f.read().strip().split(os.pathsep) if e]
  if not any('beam-runners-flink-1.19' in e for e in entries):
    raise SystemExit('%s has no beam-runners-flink-1.19 on it' % resolved)
  return (['-cp', os.pathsep.join(entries), 'org.apache.beam.runners.flink.FlinkJobServerDriver'],
          'Beam\'s `FlinkJobServerDriver` from `beam-runners-flink-1.19` 2.62.0, on the Java Flink '
          'columns\' class path (flink-classpath/pom.xml)')


class JobServer:
  def __init__(self, name, command, log_path):
    self.name = name
    self.command = command
    self.log_path = log_path
    self.process = None

  def start(self, timeout=120):
    self.log = open(self.log_path, 'w')
    self.process = subprocess.Popen(self.command, stdout=self.log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + timeout
    while time.time() < deadline:
      if self.process.poll() is not None:
        raise SystemExit('%s job server exited with %s; its log:\n%s' % (self.name, self.process.returncode, self.tail()))
      try:
        with socket.create_connection(('localhost', self.job_port), timeout=1):
          return self
      except OSError:
        time.sleep(0.5)
    raise SystemExit('%s job server did not listen on port %d within %d s; its log:\n%s'
                     % (self.name, self.job_port, timeout, self.tail()))

  def tail(self, lines=40):
    try:
      with open(self.log_path) as f:
        return ''.join(f.readlines()[-lines:])
    except OSError:
      return ''

  def cpu_seconds(self):
    """CPU time the server's JVM has used so far (all its threads)."""
    try:
      with open('/proc/%d/stat' % self.process.pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
      return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
    except (OSError, ValueError, IndexError, AttributeError):
      return float('nan')

  def alive(self):
    return self.process is not None and self.process.poll() is None

  def stop(self):
    if self.process is None:
      return
    if self.process.poll() is None:
      # The server's own process group (start_new_session): the JVM and anything it started.
      kill_group(self.process.pid, signal.SIGTERM)
      try:
        self.process.wait(timeout=20)
      except subprocess.TimeoutExpired:
        kill_group(self.process.pid, signal.SIGKILL)
        self.process.wait()
    self.log.close()
    self.process = None


def start_servers(args, runners, work):
  servers = {}
  java = args.java
  for runner in runners:
    job_port, artifact_port = free_port(), free_port()
    ports = ['--job-host=localhost', '--job-port=%d' % job_port, '--artifact-port=%d' % artifact_port,
             '--expansion-port=-1', '--artifacts-dir=' + os.path.join(work, runner + '-artifacts')]
    if runner == 'millrace':
      command = [java, '-Xmx%s' % args.heap, '-jar', args.millrace_jar] + ports + ['--ui-port=0']
    else:
      launch, _ = flink_job_server_command(args)
      command = [java, '-Xmx%s' % args.heap] + launch + ports + ['--flink-master=[local]']
    server = JobServer(runner, command, os.path.join(work, runner + '-job-server.log'))
    server.job_port = job_port
    servers[runner] = server
    print('starting the %s job server on localhost:%d (log %s)' % (runner, job_port, server.log_path),
          file=sys.stderr, flush=True)
    server.start()
  return servers


# ---------------------------------------------------------------------------------------------
# The suite.
# ---------------------------------------------------------------------------------------------


def measure(args, server, runner, query, events, work, label):
  log_path = os.path.join(work, '%s-%s-%s.log' % (label, query, runner))
  # The job imports this file as a module, not as __main__: its functions then pickle by reference
  # to it, and harnesses in processes of their own (use_loopback_process_worker, PROCESS) import it
  # from PYTHONPATH instead of needing the submitter's main session.
  command = [sys.executable, '-c', 'import sys, python_bench; sys.exit(python_bench.main())',
             '--job', query, '--runner-name', runner,
             '--endpoint', 'localhost:%d' % server.job_port, '--events', str(events),
             '--seed', str(args.seed), '--parallelism', str(args.parallelism),
             '--chunks', str(args.chunks or args.parallelism * 4),
             '--job-timeout-seconds', str(args.job_timeout_seconds),
             '--result-file', log_path[:-len('.log')] + '.checksum',
             '--pipeline-args=' + args.pipeline_args.get(runner, '')]
  server_cpu = server.cpu_seconds()
  with open(log_path, 'w') as log:
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [here, os.environ.get('PYTHONPATH')])))
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                             text=True, start_new_session=True, env=env)
    try:
      out, _ = child.communicate(timeout=args.job_timeout_seconds + 120)
    except subprocess.TimeoutExpired:
      kill_group(child.pid, signal.SIGKILL)
      child.wait()
      out = ''
    except BaseException:
      kill_group(child.pid, signal.SIGKILL)
      child.wait()
      raise
  result = None
  for line in out.splitlines():
    if line.startswith('RESULT '):
      result = json.loads(line[len('RESULT '):])
  if result is None:
    with open(log_path) as f:
      tail = ''.join(f.readlines()[-15:])
    print('%s %s %s failed (exit %s); log %s:\n%s' % (label, query, runner, child.returncode, log_path, tail),
          file=sys.stderr, flush=True)
    if not server.alive():
      raise SystemExit('the %s job server died; its log:\n%s' % (runner, server.tail()))
    return None
  result['checksum'] = '%d:%x' % (result['lines'], result['sum'])
  # From before the job's process started to after it ended: a little more than the job.
  result['server_cpu'] = server.cpu_seconds() - server_cpu
  print('%s %-8s %-8s N=%-10d %7.2f s %12s events/s  %s  CPU s: python %.1f, job server %.1f' % (
      label, query, runner, events, result['seconds'], '{:,.0f}'.format(events / result['seconds']),
      result['checksum'], result['python_cpu'], result['server_cpu']), file=sys.stderr, flush=True)
  return result


def java_version(java):
  out = subprocess.run([java, '-version'], capture_output=True, text=True).stderr
  m = re.search(r'version "([^"]+)"', out)
  return m.group(1) if m else out.strip().splitlines()[0]


def cpu_model():
  try:
    with open('/proc/cpuinfo') as f:
      for line in f:
        if line.startswith('model name'):
          return line.split(':', 1)[1].strip()
  except OSError:
    pass
  return platform.processor()


def memory_gib():
  try:
    with open('/proc/meminfo') as f:
      kb = int(f.readline().split()[1])
    return '%d GiB' % round(kb / 1024 / 1024)
  except (OSError, ValueError, IndexError):
    return '?'


def beam_version():
  out = subprocess.run([sys.executable, '-c', 'import apache_beam; print(apache_beam.__version__)'],
                       capture_output=True, text=True)
  return out.stdout.strip() or '?'


def fmt(n):
  return '{:,.0f}'.format(n)


def events_of(args, query):
  return args.events_per_query.get(query, args.events)


def parse_events_per_query(text):
  out = {}
  for part in filter(None, (p.strip() for p in text.split(','))):
    query, _, n = part.partition('=')
    if query.strip().upper() not in QUERIES or not n.strip().replace('_', '').isdigit():
      raise SystemExit('--events-per-query wants QUERY=N,...; got %r' % part)
    out[query.strip().upper()] = int(n.strip().replace('_', ''))
  return out


def report(args, runners, queries, results, flink_description):
  out = []
  commit = subprocess.run(['git', '-C', REPO, 'rev-parse', '--short', 'HEAD'], capture_output=True,
                          text=True).stdout.strip() or '?'
  out.append('Machine: %d cores (%s), %s; load average at the end %s. Commit %s.' % (
      os.cpu_count(), cpu_model(), memory_gib(), ' '.join('%.2f' % x for x in os.getloadavg()), commit))
  servers = []
  if 'millrace' in runners:
    servers.append('Millrace: `%s`' % os.path.basename(args.millrace_jar))
  if 'flink' in runners:
    servers.append('Flink: %s, Flink 1.19, an embedded local cluster (`--flink-master=[local]`)'
                   % flink_description)
  out.append('Python %s, apache-beam %s, Java %s, job servers with `-Xmx%s`. %s.' % (
      platform.python_version(), beam_version(), java_version(args.java), args.heap,
      '. '.join(servers)))
  out.append('Network: %s.' % network_description())
  extra = ''.join('; %s pipeline options `%s`' % (r, args.pipeline_args[r])
                  for r in runners if args.pipeline_args.get(r))
  out.append('PortableRunner, LOOPBACK environment, batch, `--parallelism=%d`%s. Time = `run()` to '
             'the end of `wait_until_finish()`, one job at a time, each from a fresh Python process%s.'
             % (args.parallelism, extra,
                '' if not args.warmup_events else ', after one untimed %s-event warm-up job per query and runner'
                % fmt(args.warmup_events)))
  out.append('')
  out.append('Events per second (median of %d round%s).' % (args.rounds, '' if args.rounds == 1 else 's'))
  out.append('')
  head = '| Query | N |' + ''.join(' %s |' % RUNNER_TITLES[r] for r in runners)
  rule = '|---|---:|' + '---:|' * len(runners)
  both = 'millrace' in runners and 'flink' in runners
  if both:
    head += ' Millrace ÷ Flink |'
    rule += '---:|'
  head += ''.join(' %s s |' % RUNNER_TITLES[r] for r in runners) + ' checksum (lines:sum) |'
  rule += '---:|' * len(runners) + '---|'
  out += [head, rule]
  problems = []
  for q in queries:
    rates, secs, checksums = {}, {}, set()
    for r in runners:
      ms = [m for m in results if m and m['query'] == q and m['runner'] == r and m['events'] == events_of(args, q)]
      for m in ms:
        checksums.add(m['checksum'])
      if ms:
        secs[r] = statistics.median_low(sorted(m['seconds'] for m in ms))
        rates[r] = events_of(args, q) / secs[r]
    row = '| %s | %s |' % (q, fmt(events_of(args, q)))
    row += ''.join(' %s |' % (fmt(rates[r]) if r in rates else 'failed') for r in runners)
    if both:
      row += ' %s |' % ('%.2fx' % (rates['millrace'] / rates['flink'])
                        if 'millrace' in rates and 'flink' in rates else '-')
    row += ''.join(' %s |' % ('%.1f' % secs[r] if r in secs else '-') for r in runners)
    row += ' %s%s |' % (' / '.join(sorted(checksums)) if checksums else '-',
                        ' **MISMATCH**' if len(checksums) > 1 else '')
    out.append(row)
  out.append('')
  if any('use_loopback_process_worker' in a for a in args.pipeline_args.values()):
    python_cpu = 'the Python process (the client only: its harness processes are not counted)'
  else:
    python_cpu = ('the Python process (client and, with LOOPBACK, every SDK harness of the job, as '
                  'threads under one GIL)')
  out.append('CPU seconds per job (median): ' + python_cpu + ' and the job server\'s JVM (from just '
             'before the job\'s Python process starts to after it ends).')
  out.append('')
  out.append('| Query |' + ''.join(' %s: Python | %s: job server |' % (RUNNER_TITLES[r], RUNNER_TITLES[r])
                                    for r in runners))
  out.append('|---|' + '---:|---:|' * len(runners))
  for q in queries:
    row = '| %s |' % q
    for r in runners:
      ms = [m for m in results if m and m['query'] == q and m['runner'] == r and m['events'] == events_of(args, q)]
      for key in ('python_cpu', 'server_cpu'):
        row += ' %s |' % ('%.1f' % statistics.median_low(sorted(m[key] for m in ms)) if ms else '-')
    out.append(row)
  return '\n'.join(out) + '\n'


def disagreements(results):
  by_key = {}
  for m in results:
    if m:
      by_key.setdefault((m['query'], m['events']), {}).setdefault(m['checksum'], []).append(m['runner'])
  return ['%s at N=%d: %s' % (q, n, '; '.join('%s from %s' % (c, ','.join(sorted(set(rs)))) for c, rs in cs.items()))
          for (q, n), cs in sorted(by_key.items()) if len(cs) > 1]


def run_suite(args):
  runners = [r.strip().lower() for r in args.runners.split(',') if r.strip()]
  queries = [q.strip().upper() for q in args.queries.split(',') if q.strip()]
  for r in runners:
    if r not in RUNNERS:
      raise SystemExit('unknown runner %s (known: %s)' % (r, ','.join(RUNNERS)))
  for q in queries:
    if q not in QUERIES:
      raise SystemExit('unknown query %s (known: %s)' % (q, ','.join(QUERIES)))
  args.pipeline_args = {'millrace': args.millrace_pipeline_args, 'flink': args.flink_pipeline_args}
  args.events_per_query = parse_events_per_query(args.events_per_query)
  flink_description = flink_job_server_command(args)[1] if 'flink' in runners else ''
  if 'millrace' in runners and not os.path.exists(args.millrace_jar):
    raise SystemExit('no Millrace job server jar at %s' % args.millrace_jar)

  work = tempfile.mkdtemp(prefix='python-bench-')
  print('logs in %s' % work, file=sys.stderr, flush=True)
  servers = {}

  def on_signal(signum, _frame):
    raise KeyboardInterrupt('signal %d' % signum)

  signal.signal(signal.SIGTERM, on_signal)
  signal.signal(signal.SIGHUP, on_signal)
  results = []
  failed = False
  try:
    servers = start_servers(args, runners, work)
    if args.warmup_events:
      for q in queries:
        for r in runners:
          m = measure(args, servers[r], r, q, args.warmup_events, work, 'warmup')
          failed |= m is None
          results.append(m)
    for round_number in range(args.rounds):
      order = runners[round_number % len(runners):] + runners[:round_number % len(runners)]
      for q in queries:
        for r in order:
          m = measure(args, servers[r], r, q, events_of(args, q), work, 'round%d' % (round_number + 1))
          failed |= m is None
          results.append(m)
  finally:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    for server in servers.values():
      server.stop()
  table = report(args, runners, queries, results, flink_description)
  print(table)
  if args.output:
    with open(args.output, 'w') as f:
      f.write(table)
  problems = disagreements(results)
  if problems:
    print('CHECKSUMS DISAGREE:\n  ' + '\n  '.join(problems), file=sys.stderr)
    print('logs kept in %s' % work, file=sys.stderr)
    return 2
  if failed:
    print('some jobs failed; logs kept in %s' % work, file=sys.stderr)
    return 1
  if not args.keep_logs:
    shutil.rmtree(work, ignore_errors=True)
  return 0


def main():
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument('--events', type=int, default=200_000, help='events per query (default 200,000)')
  parser.add_argument('--events-per-query', default='STATEFUL=50000',
                      help='N for the named queries, overriding --events (default STATEFUL=50000, '
                           'about as long as the others on Millrace); \'\' for none')
  parser.add_argument('--rounds', type=int, default=3, help='rounds; the runner order alternates (default 3)')
  parser.add_argument('--queries', default=','.join(QUERIES), help='any of ' + ','.join(QUERIES))
  parser.add_argument('--runners', default=','.join(RUNNERS), help='any of ' + ','.join(RUNNERS))
  parser.add_argument('--parallelism', type=int, default=os.cpu_count(), help='both runners (default: cores)')
  parser.add_argument('--seed', type=int, default=42)
  parser.add_argument('--chunks', type=int, default=0, help='index ranges of the source (default parallelism*4)')
  parser.add_argument('--warmup-events', type=int, default=20_000,
                      help='an untimed job per query and runner at this N first, checksums checked too; 0: none')
  parser.add_argument('--job-timeout-seconds', type=int, default=900)
  parser.add_argument('--millrace-jar', default='/tmp/bench-js.jar',
                      help='the Millrace job server jar (a copy of job-server/target/millrace-job-server.jar)')
  parser.add_argument('--flink-job-server', default='',
                      help='Beam\'s Flink 1.19 job server jar (default: target/flink-job-server/*.jar, '
                           'else the driver class on the Flink runner\'s class path)')
  parser.add_argument('--java', default=shutil.which('java') or 'java')
  parser.add_argument('--heap', default='4g', help='-Xmx of both job servers (default 4g)')
  parser.add_argument('--millrace-pipeline-args', default='', help='extra pipeline options for Millrace jobs')
  parser.add_argument('--flink-pipeline-args', default='', help='extra pipeline options for Flink jobs')
  parser.add_argument('--output', default='', help='also write the table to this file')
  parser.add_argument('--network', choices=['private', 'host'], default='private',
                      help='private (default): run everything in a network namespace of its own with '
                           'only loopback (needs root and unshare; falls back to the host\'s network '
                           'with a warning); host: the host\'s network')
  parser.add_argument('--keep-logs', action='store_true', help='keep the job and job server logs')
  # One measurement, in a process of its own (used by the suite).
  parser.add_argument('--job', help=argparse.SUPPRESS)
  parser.add_argument('--runner-name', help=argparse.SUPPRESS)
  parser.add_argument('--endpoint', help=argparse.SUPPRESS)
  parser.add_argument('--pipeline-args', help=argparse.SUPPRESS)
  parser.add_argument('--result-file', help=argparse.SUPPRESS)
  args = parser.parse_args()
  if args.job:
    run_job(args)
    return 0
  if args.network == 'private' and os.environ.get(NETNS_ENV) != '1':
    why = enter_private_network(sys.argv[1:])  # returns only if it could not
    print('warning: running on the host\'s network (%s)' % why, file=sys.stderr)
  try:
    return run_suite(args)
  except KeyboardInterrupt as e:
    print('interrupted (%s); the job servers were stopped' % (e or 'Ctrl-C'), file=sys.stderr)
    return 130


if __name__ == '__main__':
  sys.exit(main())
