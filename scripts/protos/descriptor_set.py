"""Writes the FileDescriptorSet of TensorBoard's event, summary and hparams schemas, read from the
`tensorboard` package itself (its wheel carries compiled descriptors, not .proto files), so protoc
can generate Swift from exactly the schema TensorBoard reads.

Usage: python3 descriptor_set.py OUTPUT.pb
Prints the names of the files to generate code for.
"""
import sys

from google.protobuf import descriptor_pb2
from tensorboard.compat.proto import event_pb2
from tensorboard.plugins.hparams import plugin_data_pb2

roots = [event_pb2.DESCRIPTOR, plugin_data_pb2.DESCRIPTOR]
ordered, seen = [], set()


def visit(file):
    if file.name in seen:
        return
    seen.add(file.name)
    for dependency in file.dependencies:
        visit(dependency)
    ordered.append(file)


for root in roots:
    visit(root)

descriptor_set = descriptor_pb2.FileDescriptorSet()
for file in ordered:
    proto = descriptor_set.file.add()
    file.CopyToProto(proto)
with open(sys.argv[1], "wb") as output:
    output.write(descriptor_set.SerializeToString())
# google/protobuf/* are SwiftProtobuf's own well-known types: not generated again.
print(" ".join(f.name for f in ordered if not f.name.startswith("google/protobuf/")))
