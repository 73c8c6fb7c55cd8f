package dev.calicorr.testsupport.bgp;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One question to BIRD over its control socket, as {@code birdc} asks it, without a process per
 * question: the route sampler asks every node several times a second. BIRD's replies are lines
 * {@code NNNN-text} (more follows), {@code " text"} (same code continued) and a last {@code NNNN text};
 * codes from 8000 are errors.
 */
final class BirdSocket {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private BirdSocket() {
    }

    /** Sends {@code command} and returns the reply's text lines (codes removed, the closing line left out). */
    static List<String> ask(Path socket, String command) throws IOException {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                Selector selector = Selector.open()) {
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_READ);
            LineReader reader = new LineReader(channel, selector);
            reader.reply(); // the greeting: "0001 BIRD 1.6.8 ready."
            ByteBuffer out = ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII));
            while (out.hasRemaining()) {
                channel.write(out); // a few bytes into an empty socket buffer: does not spin
            }
            return reader.reply();
        }
    }

    /** Reads replies line by line; every wait is bounded by one deadline for the whole question. */
    private static final class LineReader {
        private final SocketChannel channel;
        private final Selector selector;
        private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        private final StringBuilder pending = new StringBuilder();
        private final long deadline = System.nanoTime() + TIMEOUT.toNanos();

        LineReader(SocketChannel channel, Selector selector) {
            this.channel = channel;
            this.selector = selector;
        }

        List<String> reply() throws IOException {
            List<String> lines = new ArrayList<>();
            while (true) {
                String line = line();
                if (line.length() >= 5 && Character.isDigit(line.charAt(0)) && line.charAt(4) == ' ') {
                    int code = Integer.parseInt(line.substring(0, 4));
                    if (code >= 8000) {
                        throw new IOException("BIRD answered " + line);
                    }
                    if (code != 0) {
                        lines.add(line.substring(5));
                    }
                    return lines;
                }
                if (line.length() >= 5 && Character.isDigit(line.charAt(0)) && line.charAt(4) == '-') {
                    lines.add(line.substring(5));
                } else if (line.startsWith(" ")) {
                    lines.add(line.substring(1));
                } else {
                    lines.add(line);
                }
            }
        }

        private String line() throws IOException {
            while (true) {
                int newline = pending.indexOf("\n");
                if (newline >= 0) {
                    String line = pending.substring(0, newline);
                    pending.delete(0, newline + 1);
                    return line;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("BIRD did not answer within " + TIMEOUT);
                }
                selector.select(Math.max(1, left / 1_000_000));
                selector.selectedKeys().clear();
                buffer.clear();
                int read = channel.read(buffer);
                if (read < 0) {
                    throw new IOException("BIRD closed its control socket");
                }
                pending.append(new String(buffer.array(), 0, read, StandardCharsets.US_ASCII));
            }
        }
    }
}
