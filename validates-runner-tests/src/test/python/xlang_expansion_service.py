"""Beam's Python test expansion service, for the Java cross-language ValidatesRunner tests.

Serves the test URNs of apache_beam.runners.portability.expansion_service_test (prefix, multi,
gbk, cgbk, combine, flatten, partition, python_bs4), as Beam's own test service does, with one
difference: the Python transforms it returns run in a worker pool in this process (an EXTERNAL
environment), not in Docker, which the job server cannot run.

Prints "PORT <n>" once serving, and stops when its standard input closes (its parent went).
"""
import argparse
import logging
import sys

import grpc

from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.portability.api import beam_artifact_api_pb2_grpc
from apache_beam.portability.api import beam_expansion_api_pb2_grpc
from apache_beam.runners.portability import artifact_service
from apache_beam.runners.portability import expansion_service
# Registers the test transforms' URNs.
from apache_beam.runners.portability import expansion_service_test  # pylint: disable=unused-import
from apache_beam.runners.worker import worker_pool_main
from apache_beam.transforms.environments import PyPIArtifactRegistry
from apache_beam.utils import thread_pool_executor


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('--port', type=int, default=0)
  args = parser.parse_args()
  # As Beam's test service: the python_bs4 transform declares its dependency.
  PyPIArtifactRegistry.register_artifact('beautifulsoup4', '>=4.9,<5.0')
  worker_address, worker_server = (
      worker_pool_main.BeamFnExternalWorkerPoolServicer.start())
  servicer = expansion_service.ExpansionServiceServicer(
      PipelineOptions([
          '--experiments=beam_fn_api',
          '--sdk_location=container',
          '--pickle_library=cloudpickle',
          '--environment_type=EXTERNAL',
          '--environment_config=' + worker_address,
      ]))
  server = grpc.server(thread_pool_executor.shared_unbounded_instance())
  beam_expansion_api_pb2_grpc.add_ExpansionServiceServicer_to_server(
      servicer, server)
  beam_artifact_api_pb2_grpc.add_ArtifactRetrievalServiceServicer_to_server(
      artifact_service.ArtifactRetrievalService(
          artifact_service.BeamFilesystemHandler(None).file_reader),
      server)
  port = server.add_insecure_port('localhost:%d' % args.port)
  server.start()
  print('PORT %d' % port, flush=True)
  sys.stdin.read()
  server.stop(None)
  worker_server.stop(None)


if __name__ == '__main__':
  logging.basicConfig(level=logging.WARNING)
  main()
