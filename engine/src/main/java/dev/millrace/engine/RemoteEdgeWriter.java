package dev.millrace.engine;

import dev.millrace.plan.Edge;

/** The producer side of a remote edge: what the subtask emits goes to the exchange's outlet. */
final class RemoteEdgeWriter implements EdgeWriter {
  private final Edge edge;
  private final RemoteOutlet outlet;
  private long emitted;
  private long sentWatermark = Long.MIN_VALUE;

  RemoteEdgeWriter(Edge edge, RemoteOutlet outlet) {
    this.edge = edge;
    this.outlet = outlet;
  }

  @Override
  public Edge edge() {
    return edge;
  }

  @Override
  public long emitted() {
    return emitted;
  }

  @Override
  public void emit(Object element) throws Exception {
    emitted++;
    outlet.emit(element);
  }

  @Override
  public boolean isBlocked() {
    return outlet.isBlocked();
  }

  @Override
  public boolean tryFlushOverflow() {
    return outlet.tryFlushOverflow();
  }

  @Override
  public void flush() {
    outlet.flush();
  }

  @Override
  public void sendBarrier(long checkpointId) {
    outlet.barrier(checkpointId);
  }

  @Override
  public boolean advanceWatermark(long watermark) {
    if (watermark <= sentWatermark) {
      outlet.flush();
      return false;
    }
    sentWatermark = watermark;
    outlet.advanceWatermark(watermark);
    return true;
  }
}
