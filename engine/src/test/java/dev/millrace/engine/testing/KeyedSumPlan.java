package dev.millrace.engine.testing;

import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.ElementCodec;
import dev.millrace.plan.KeyGroups;
import dev.millrace.plan.Operator;
import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.Plan;
import dev.millrace.plan.PlanBuilder;
import dev.millrace.plan.PortRef;
import dev.millrace.plan.SourceOperator;
import dev.millrace.plan.Watermarks;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * A two-vertex plan over plain longs for exchanges between processes: {@code sources} subtasks
 * count {@code 0 .. count-1} between them (subtask s emits s, s + sources, ...; its watermark is
 * the last number it emitted), a HASH edge with a codec sends each number to the key {@code n %
 * keys}, and {@code sums} subtasks add up each key's numbers and put the sums into {@link #sums()}
 * once their input's watermark is END. A sum is only right if END came after every number.
 */
public final class KeyedSumPlan {
  private final long count;
  private final int keys;
  private final int sources;
  private final int sumSubtasks;
  private final int maxKeyGroups;
  private final ConcurrentMap<Long, Long> sums = new ConcurrentHashMap<>();

  public KeyedSumPlan(long count, int keys, int sources, int sumSubtasks, int maxKeyGroups) {
    this.count = count;
    this.keys = keys;
    this.sources = sources;
    this.sumSubtasks = sumSubtasks;
    this.maxKeyGroups = maxKeyGroups;
  }

  /** What every key's sum must be. */
  public Map<Long, Long> expected() {
    Map<Long, Long> expected = new HashMap<>();
    for (long n = 0; n < count; n++) {
      expected.merge(n % keys, n, Long::sum);
    }
    return expected;
  }

  /** The sums emitted so far, by key; shared by every process running the plan in this JVM. */
  public ConcurrentMap<Long, Long> sums() {
    return sums;
  }

  public Plan build() {
    PlanBuilder b = new PlanBuilder();
    int source = b.newVertex("numbers", sources);
    b.addOperator(source, new OperatorNode("count", Numbers::new, 0, 1));
    int sum = b.newVertex("sum", sumSubtasks);
    b.addOperator(sum, new OperatorNode("sum by key", Sums::new, 1, 0));
    b.edge(
        new PortRef(source, 0, 0),
        new PortRef(sum, 0, 0),
        EdgeKind.HASH,
        element -> keyGroupOf((Long) element % keys, maxKeyGroups),
        maxKeyGroups,
        LONGS);
    return b.build();
  }

  public static int keyGroupOf(long key, int maxKeyGroups) {
    return KeyGroups.keyGroupOf(ByteBuffer.allocate(8).putLong(key).array(), maxKeyGroups);
  }

  /** Longs as eight bytes. */
  public static final ElementCodec LONGS =
      new ElementCodec() {
        @Override
        public void encode(Object element, OutputStream out) throws Exception {
          out.write(ByteBuffer.allocate(8).putLong((Long) element).array());
        }

        @Override
        public Object decode(byte[] bytes, int offset, int length) {
          if (length != 8) {
            throw new IllegalArgumentException("a long is 8 bytes, not " + length);
          }
          return ByteBuffer.wrap(bytes, offset, length).getLong();
        }
      };

  private final class Numbers implements SourceOperator {
    private OperatorContext context;
    private long next;
    private long watermark = Watermarks.MIN;

    @Override
    public void open(OperatorContext context) {
      this.context = context;
      this.next = context.subtaskIndex();
    }

    @Override
    public Status emit(int maxElements) throws Exception {
      for (int i = 0; i < maxElements && next < count; i++) {
        context.output(0).emit(next);
        watermark = next;
        next += context.parallelism();
      }
      if (next >= count) {
        watermark = Watermarks.END;
        return Status.DONE;
      }
      return Status.ACTIVE;
    }

    @Override
    public long outputWatermark() {
      return watermark;
    }
  }

  private final class Sums implements Operator {
    private final Map<Long, Long> local = new HashMap<>();
    private long watermark = Watermarks.MIN;

    @Override
    public void open(OperatorContext context) {}

    @Override
    public void processElement(int port, Object element) {
      long n = (Long) element;
      if (watermark == Watermarks.END) {
        throw new IllegalStateException(n + " arrived after the end of input");
      }
      local.merge(n % keys, n, Long::sum);
    }

    @Override
    public void processWatermark(int port, long watermark) {
      this.watermark = watermark;
      if (watermark == Watermarks.END) {
        for (Map.Entry<Long, Long> e : local.entrySet()) {
          if (sums.putIfAbsent(e.getKey(), e.getValue()) != null) {
            throw new IllegalStateException("key " + e.getKey() + " was summed twice");
          }
        }
      }
    }

    @Override
    public long outputWatermark() {
      return watermark;
    }
  }
}
