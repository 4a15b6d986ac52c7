"""A stock grpcio client on `serve --listen unix:PATH`, with no channel options (no
`grpc.default_authority`): a health Check, ListTasks and a Pause through the stubs
`python -m grpc_tools.protoc` generates, as docs/guides/typed-api.md shows. Run by
tests/serve_grpcio.rs with those stubs on PYTHONPATH; prints one line per answer.

usage: grpcio_unix.py SOCKET_PATH INSTANCE_ID TASK_NAME
"""

import sys

import grpc
from taurusdb.replication.v1 import replication_pb2 as pb
from taurusdb.replication.v1 import replication_pb2_grpc as rpc

socket_path, instance, task = sys.argv[1:4]
with grpc.insecure_channel("unix:" + socket_path) as channel:
    # HealthCheckRequest{service: ""} encodes to nothing; SERVING answers 08 01.
    check = channel.unary_unary("/grpc.health.v1.Health/Check")
    print("health", check(b"", timeout=30).hex())
    api = rpc.ReplicationStub(channel)
    for listed in api.ListTasks(pb.ListTasksRequest(instance_id=instance), timeout=30).tasks:
        print("task", listed.task_name, listed.stage)
    done = api.Pause(pb.JobRequest(instance_id=instance, task_name=task, wait=False), timeout=30)
    print("pause job", done.job_id)
