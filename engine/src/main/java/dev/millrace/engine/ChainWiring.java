package dev.millrace.engine;

import dev.millrace.plan.Emitter;
import dev.millrace.plan.Link;
import dev.millrace.plan.Vertex;
import java.util.ArrayList;
import java.util.List;

/** How the operators of one subtask's chain are wired to each other, to its channels and edges. */
final class ChainWiring {
  private ChainWiring() {}

  /** Hands an element to input {@code port} of operator {@code op} of the chain. */
  interface Delivery {
    void deliver(int op, int port, Object element) throws Exception;
  }

  /** Per operator and input port: the operators of the chain feeding it through links. */
  static int[][][] upstreamOperators(Vertex vertex) {
    int n = vertex.operators().size();
    int[][][] result = new int[n][][];
    for (int op = 0; op < n; op++) {
      int inputs = vertex.operators().get(op).inputs();
      result[op] = new int[inputs][];
      for (int port = 0; port < inputs; port++) {
        List<Integer> ups = new ArrayList<>();
        for (Link link : vertex.links()) {
          if (link.toOperator() == op && link.toPort() == port) {
            ups.add(link.fromOperator());
          }
        }
        result[op][port] = ups.stream().mapToInt(Integer::intValue).toArray();
      }
    }
    return result;
  }

  /**
   * Per operator and input port: the channels of the subtask's inbox feeding it. Fails when an
   * input is fed by neither a channel nor an operator of the chain.
   */
  static int[][][] portChannels(
      Vertex vertex, List<JobExecution.ChannelTarget> channels, int[][][] upstream) {
    int n = vertex.operators().size();
    int[][][] result = new int[n][][];
    for (int op = 0; op < n; op++) {
      int inputs = vertex.operators().get(op).inputs();
      result[op] = new int[inputs][];
      for (int port = 0; port < inputs; port++) {
        List<Integer> chans = new ArrayList<>();
        for (int c = 0; c < channels.size(); c++) {
          if (channels.get(c).operator() == op && channels.get(c).port() == port) {
            chans.add(c);
          }
        }
        result[op][port] = chans.stream().mapToInt(Integer::intValue).toArray();
        if (chans.isEmpty() && upstream[op][port].length == 0) {
          throw new IllegalStateException(
              "input " + port + " of " + vertex.operators().get(op).name() + " is fed by nothing");
        }
      }
    }
    return result;
  }

  /**
   * The emitter of each output port of operator {@code op}: to the chain's next operators and to
   * edges.
   */
  static Emitter[] outputs(Vertex vertex, int op, List<EdgeWriter> writers, Delivery delivery) {
    int outs = vertex.operators().get(op).outputs();
    Emitter[] emitters = new Emitter[outs];
    for (int port = 0; port < outs; port++) {
      List<Emitter> targets = new ArrayList<>();
      for (Link link : vertex.links()) {
        if (link.fromOperator() == op && link.fromPort() == port) {
          int to = link.toOperator();
          int toPort = link.toPort();
          targets.add(element -> delivery.deliver(to, toPort, element));
        }
      }
      for (EdgeWriter writer : writers) {
        if (writer.edge().from().operator() == op && writer.edge().from().port() == port) {
          targets.add(writer);
        }
      }
      emitters[port] = fanOut(targets);
    }
    return emitters;
  }

  private static Emitter fanOut(List<Emitter> targets) {
    if (targets.isEmpty()) {
      return element -> {};
    }
    if (targets.size() == 1) {
      return targets.get(0);
    }
    Emitter[] all = targets.toArray(new Emitter[0]);
    return element -> {
      for (Emitter e : all) {
        e.emit(element);
      }
    };
  }
}
