package org.machina.net.user;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * One NATed TCP connection: the guest-side TCP state machine (RFC 793 states, RFC 6298
 * retransmission timer, RFC 7323 window scaling, zero-window probes RFC 1122 4.2.2.17) spliced
 * onto a non-blocking host {@link SocketChannel}.
 *
 * <p>Queues (both bounded by {@link #BUFFER} bytes, growing on demand):
 * <ul>
 * <li>{@link #toGuest}: bytes read from the host socket, from {@code sndUna} on: sent but not
 * acknowledged, then not yet sent. The host socket is read only while it has room, so a guest that
 * never reads stops the host peer through the host's own TCP window.</li>
 * <li>{@link #toHost}: in-order bytes from the guest not yet written to the host socket. Its free
 * space is the window advertised to the guest, so it can never overflow; a host peer that never
 * reads closes the guest's window.</li>
 * </ul>
 *
 * <p>Timers (deadlines on the event loop, never more than one of each armed): retransmission
 * ({@link #rto}, also SYN and FIN), persist (zero-window probe while the guest's window is 0 and
 * data waits), TIME_WAIT.
 */
final class TcpConnection implements EventLoop.Handler {
    enum State { SYN_SENT, SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT, CLOSED }

    static final int BUFFER = 256 * 1024;
    /** Our window scale shift: 256 KiB needs 3 (65535 << 3 covers it). */
    static final int RCV_SHIFT = 3;
    static final long RTO_INITIAL_MS = 1_000;
    static final long RTO_MIN_MS = 200;
    static final long RTO_MAX_MS = 60_000;
    static final int MAX_RETRIES = 10;
    static final int MAX_SYN_RETRIES = 5;
    static final int MAX_PROBES = 15;
    static final long TIME_WAIT_MS = 2_000;
    /** To-guest queue slots a data segment leaves free for ACKs and other traffic. */
    static final int QUEUE_RESERVE = 8;
    /**
     * Guest data is acknowledged at the end of the input batch it came in (one ACK for a burst,
     * as a receiver with receive offload would), but at the latest once this many full-sized
     * segments are unacknowledged, so the guest's window keeps moving during a long batch.
     */
    static final int ACK_EVERY_SEGMENTS = 8;

    /** The connection as the guest sees it; both addresses of one family. */
    record Key(IpAddr guestIp, int guestPort, IpAddr peerIp, int peerPort) {
    }

    final Key key;
    private final Tcp tcp;
    private final Stack stack;
    SocketChannel host;
    private SelectionKey hostKey;
    State state;
    private boolean connecting;

    // send side (host -> guest)
    private final int iss;
    private int sndUna;
    private int sndNxt;
    private int sndWnd;
    private int sndWl1;
    private int sndWl2;
    private int sndShift;
    private int sndMss = 536;
    private final ByteRing toGuest = new ByteRing(16 * 1024, BUFFER);
    private boolean hostEof;
    private boolean finSent;
    private int finSeq;
    private int dupAcks;

    // receive side (guest -> host)
    private int rcvNxt;
    private int rcvShift;
    private int lastAdvertisedEdge;
    /** rcvNxt as last acknowledged to the guest. */
    private int lastAckSent;
    /** Guest data or FIN taken in this input batch and not acknowledged yet. */
    private boolean ackPending;
    private final ByteRing toHost = new ByteRing(16 * 1024, BUFFER);
    /** Guest data that came ahead of a hole; always inside the advertised window, so within toHost's bound. */
    private final OutOfOrderQueue ooo = new OutOfOrderQueue();
    /** Both sides sent SACK-permitted (RFC 2018): our ACKs carry SACK blocks for {@link #ooo}. */
    private boolean sackOk;
    private boolean guestFin;
    private boolean hostOutputShut;

    // timers
    private EventLoop.Deadline rto;
    private EventLoop.Deadline persist;
    private EventLoop.Deadline timeWait;
    private long rtoMs = RTO_INITIAL_MS;
    private long srttMs = -1;
    private long rttvarMs;
    private int retries;
    private int probes;
    private int rttSeq;
    private long rttStart;
    private boolean timing;

    TcpConnection(Tcp tcp, Key key, State state, int iss) {
        this.tcp = tcp;
        this.stack = tcp.stack;
        this.key = key;
        this.state = state;
        this.iss = iss;
        this.sndUna = iss;
        this.sndNxt = iss;
        this.mss = stack.cfg.mtu - key.guestIp().headerLength() - TcpSegment.HEADER;
    }

    /** The largest segment the link takes over this connection's family (MTU - IP header - TCP header). */
    private final int mss;

    private static boolean lt(int a, int b) {
        return a - b < 0;
    }

    private static boolean le(int a, int b) {
        return a - b <= 0;
    }

    // ---- opening

    /** Guest SYN (passive open): remember its options, connect to the host; the SYN-ACK waits for the connect. */
    void guestSyn(TcpSegment s, SocketAddress target) throws IOException {
        rcvNxt = s.seq() + 1;
        takeSynOptions(s);
        connecting = true;
        host = SocketChannel.open();
        host.configureBlocking(false);
        if (host.connect(target)) {
            hostKey = stack.loop.register(host, 0, this);
            connected();
        } else {
            hostKey = stack.loop.register(host, SelectionKey.OP_CONNECT, this);
        }
    }

    /** A hostfwd connection accepted on the host: open towards the guest with a SYN. */
    void activeOpen(SocketChannel accepted) throws IOException {
        host = accepted;
        host.configureBlocking(false);
        hostKey = stack.loop.register(host, 0, this);
        rcvShift = RCV_SHIFT;
        sendSyn();
    }

    private void takeSynOptions(TcpSegment s) {
        sackOk = s.sackOk();
        sndMss = Math.min(s.mss() > 0 ? s.mss() : 536, mss);
        if (s.wscale() >= 0) {
            sndShift = s.wscale();
            rcvShift = RCV_SHIFT;
        } else {
            sndShift = 0;
            rcvShift = 0;
        }
        sndWnd = s.window();
        sndWl1 = s.seq();
        sndWl2 = s.ack();
    }

    private void connected() {
        connecting = false;
        sendSyn();
    }

    private void sendSyn() {
        sndNxt = iss + 1;
        boolean synAck = state == State.SYN_RECEIVED;
        int ws = synAck ? (rcvShift > 0 ? RCV_SHIFT : -1) : RCV_SHIFT;
        boolean sack = !synAck || sackOk; // offered on our SYN, answered on our SYN-ACK
        send(iss, synAck ? TcpSegment.SYN | TcpSegment.ACK : TcpSegment.SYN, TcpSegment.synOptions(mss, ws, sack), 0, 0,
                true);
        armRto();
    }

    // ---- segments from the guest

    void input(TcpSegment s) {
        if (state == State.SYN_SENT) {
            synSentInput(s);
            return;
        }
        if (connecting) {
            if (s.has(TcpSegment.RST)) {
                close(true);
            }
            return;
        }
        if (state == State.SYN_RECEIVED && s.has(TcpSegment.SYN) && !s.has(TcpSegment.ACK) && s.seq() == rcvNxt - 1) {
            sendSyn(); // the guest retransmitted its SYN: our SYN-ACK was lost or is late
            return;
        }
        int len = s.seqLength();
        int wnd = toHost.free();
        boolean acceptable;
        if (len == 0) {
            acceptable = wnd == 0 ? s.seq() == rcvNxt : le(rcvNxt, s.seq()) && lt(s.seq(), rcvNxt + wnd) || s.seq() == rcvNxt;
        } else {
            acceptable = wnd > 0 && (le(rcvNxt, s.seq()) && lt(s.seq(), rcvNxt + wnd)
                    || le(rcvNxt, s.seq() + len - 1) && lt(s.seq() + len - 1, rcvNxt + wnd));
        }
        if (!acceptable) {
            if (!s.has(TcpSegment.RST)) {
                if (state == State.TIME_WAIT && s.has(TcpSegment.FIN)) {
                    restartTimeWait();
                }
                sendAck();
            }
            return;
        }
        if (s.has(TcpSegment.RST)) {
            Stack.LOG.debug("net '{}': guest reset {}", stack.id, key);
            close(false);
            return;
        }
        if (s.has(TcpSegment.SYN)) {
            if (state == State.SYN_RECEIVED && s.seq() == rcvNxt - 1) {
                return;
            }
            abort("SYN inside the window");
            return;
        }
        if (!s.has(TcpSegment.ACK)) {
            return;
        }
        if (state == State.SYN_RECEIVED) {
            if (lt(sndUna, s.ack()) && le(s.ack(), sndNxt)) {
                state = State.ESTABLISHED;
                tcp.established(this);
                sndUna = s.ack();
                sndWnd = s.window() << sndShift;
                sndWl1 = s.seq();
                sndWl2 = s.ack();
                ackedSomething(s.ack(), 1);
                updateInterest();
            } else {
                tcp.reset(s);
                return;
            }
        }
        if (!processAck(s)) {
            return;
        }
        if (state == State.CLOSED) {
            return;
        }
        processData(s);
        if (state != State.CLOSED) {
            output();
            updateInterest();
        }
    }

    private void synSentInput(TcpSegment s) {
        if (s.has(TcpSegment.ACK) && s.ack() != iss + 1) {
            if (!s.has(TcpSegment.RST)) {
                tcp.reset(s);
            }
            return;
        }
        if (s.has(TcpSegment.RST)) {
            if (s.has(TcpSegment.ACK)) {
                Stack.LOG.debug("net '{}': guest refused hostfwd connection {}", stack.id, key);
                close(false);
            }
            return;
        }
        if (!s.has(TcpSegment.SYN) || !s.has(TcpSegment.ACK)) {
            return;
        }
        rcvNxt = s.seq() + 1;
        takeSynOptions(s);
        if (s.wscale() < 0) {
            rcvShift = 0;
        }
        sndUna = s.ack();
        sndWnd = s.window();
        state = State.ESTABLISHED;
        ackedSomething(s.ack(), 1);
        sendAck();
        output();
        updateInterest();
    }

    /** ACK field processing; false if the segment is to be dropped. */
    private boolean processAck(TcpSegment s) {
        int ack = s.ack();
        if (lt(sndNxt, ack)) {
            sendAck();
            return false;
        }
        int window = s.window() << sndShift;
        if (lt(sndUna, ack)) {
            int acked = ack - sndUna;
            int data = Math.min(acked, toGuest.size());
            toGuest.skip(data);
            sndUna = ack;
            ackedSomething(ack, acked);
            if (finSent && ack == finSeq + 1) {
                finAcked();
                if (state == State.CLOSED) {
                    return false;
                }
            }
        } else if (ack == sndUna && s.dataLen() == 0 && !s.has(TcpSegment.FIN) && window == sndWnd && sndNxt != sndUna) {
            if (++dupAcks == 3) {
                retransmit();
            }
        }
        if (lt(sndWl1, s.seq()) || sndWl1 == s.seq() && le(sndWl2, ack)) {
            sndWnd = window;
            sndWl1 = s.seq();
            sndWl2 = ack;
        }
        probes = 0;
        if (sndWnd > 0 && persist != null) {
            persist.cancel();
            persist = null;
        }
        return true;
    }

    private void ackedSomething(int ack, int acked) {
        dupAcks = 0;
        retries = 0;
        if (timing && lt(rttSeq, ack)) {
            sampleRtt((System.nanoTime() - rttStart) / 1_000_000);
            timing = false;
        }
        cancelRto();
        if (sndUna != sndNxt) {
            armRto();
        }
        if (acked > 0 && !hostEof) {
            updateInterest();
        }
    }

    private void sampleRtt(long r) {
        if (srttMs < 0) {
            srttMs = r;
            rttvarMs = r / 2;
        } else {
            rttvarMs = (3 * rttvarMs + Math.abs(srttMs - r)) / 4;
            srttMs = (7 * srttMs + r) / 8;
        }
        rtoMs = Math.clamp(srttMs + Math.max(10, 4 * rttvarMs), RTO_MIN_MS, RTO_MAX_MS);
    }

    private void finAcked() {
        switch (state) {
            case FIN_WAIT_1 -> state = State.FIN_WAIT_2;
            case CLOSING -> enterTimeWait();
            case LAST_ACK -> close(false);
            default -> {
            }
        }
    }

    private void processData(TcpSegment s) {
        int seq = s.seq();
        int off = s.dataOff();
        int len = s.dataLen();
        boolean fin = s.has(TcpSegment.FIN);
        if (lt(seq, rcvNxt)) {
            int skip = rcvNxt - seq;
            if (skip > len) {
                fin = false; // the FIN is old too
                skip = len;
            }
            off += skip;
            len -= skip;
            seq = rcvNxt;
        }
        boolean open = !guestFin && (state == State.ESTABLISHED || state == State.FIN_WAIT_1 || state == State.FIN_WAIT_2);
        if (seq != rcvNxt) {
            // ahead of a hole: held for when the hole is filled (inside the advertised window only)
            if (open && (len > 0 || fin)) {
                int keep = Math.min(len, rcvNxt + toHost.free() - seq);
                if (keep > 0 && !ooo.add(rcvNxt, seq, s.buf(), off, keep, fin && keep == len)) {
                    stack.stats.tcpOutOfOrderDropped++;
                }
            }
            sendAck(); // at once: a duplicate ACK (with SACK blocks) for the guest's fast retransmit
            return;
        }
        boolean ack = false;
        boolean filledHole = false;
        if (len > 0) {
            if (!open) {
                sendAck();
                return;
            }
            int take = Math.min(len, toHost.free());
            toHost.append(s.buf(), off, take);
            rcvNxt += take;
            ack = true;
            if (take < len) {
                fin = false;
            }
        }
        if (fin) {
            ooo.clear(); // nothing follows a FIN
        } else if (open && len > 0 && !ooo.isEmpty()) {
            int before = rcvNxt;
            rcvNxt = ooo.pull(rcvNxt, toHost.free(), toHost::append);
            fin = ooo.finReached();
            filledHole = rcvNxt != before || fin;
            ack |= filledHole;
        }
        if (fin && !guestFin) {
            rcvNxt++;
            guestFin = true;
            ack = true;
            switch (state) {
                case ESTABLISHED -> state = State.CLOSE_WAIT;
                case FIN_WAIT_1 -> state = State.CLOSING;
                case FIN_WAIT_2 -> enterTimeWait();
                default -> {
                }
            }
        }
        if (ack && state != State.CLOSED) {
            if (filledHole) {
                ackPending = true;
                flushInput(); // a segment that fills a hole is acknowledged at once (RFC 5681 section 4.2)
            } else {
                ackLater();
            }
        }
    }

    /**
     * Guest data (or its FIN) was taken: it goes to the host socket and is acknowledged at the
     * end of the input batch ({@link #flushInput}), or now when {@link #ACK_EVERY_SEGMENTS}
     * full segments wait for an acknowledgement.
     */
    private void ackLater() {
        ackPending = true;
        if (rcvNxt - lastAckSent >= ACK_EVERY_SEGMENTS * mss) {
            flushInput();
        } else {
            tcp.flushAtEndOfInput(this);
        }
    }

    /** Writes the guest's data to the host socket, then acknowledges what is not yet (end of an input batch). */
    void flushInput() {
        writeHost();
        if (ackPending && state != State.CLOSED) {
            sendAck();
        }
    }

    // ---- sending to the guest

    /** Sends what the guest's window, the to-guest queue and the buffered data allow; then FIN if due. */
    void output() {
        if (state == State.SYN_SENT || state == State.SYN_RECEIVED || state == State.CLOSED || connecting) {
            return;
        }
        boolean blocked = false;
        while (true) {
            int inFlight = sndNxt - sndUna;
            int unsent = toGuest.size() - Math.min(inFlight, toGuest.size());
            if (finSent) {
                unsent = 0;
            }
            int usable = sndWnd - inFlight;
            if (unsent <= 0 || usable <= 0) {
                break;
            }
            if (!stack.roomFor(QUEUE_RESERVE)) {
                blocked = true;
                break;
            }
            int n = Math.min(Math.min(unsent, usable), sndMss - sackOptionLength());
            int from = sndNxt - sndUna;
            boolean last = n == unsent;
            send(sndNxt, TcpSegment.ACK | (last ? TcpSegment.PSH : 0), null, from, n, false);
            if (!timing) {
                timing = true;
                rttSeq = sndNxt;
                rttStart = System.nanoTime();
            }
            sndNxt += n;
            if (rto == null) {
                armRto();
            }
        }
        if (blocked) {
            tcp.waitForRoom(this);
        }
        int inFlight = sndNxt - sndUna;
        boolean allSent = !finSent && inFlight >= toGuest.size() || finSent;
        if (hostEof && !finSent && allSent && stack.link.hasRoom(1)) {
            finSeq = sndNxt;
            finSent = true;
            send(sndNxt, TcpSegment.FIN | TcpSegment.ACK, null, 0, 0, false);
            sndNxt++;
            if (state == State.ESTABLISHED) {
                state = State.FIN_WAIT_1;
            } else if (state == State.CLOSE_WAIT) {
                state = State.LAST_ACK;
            }
            if (rto == null) {
                armRto();
            }
        }
        if (sndWnd == 0 && toGuest.size() > inFlight && inFlight == 0 && persist == null) {
            persist = stack.loop.afterMillis(Math.max(rtoMs, RTO_MIN_MS) << Math.min(probes, 6), this::probe);
        }
    }

    private void probe() {
        persist = null;
        if (state == State.CLOSED || sndWnd > 0) {
            return;
        }
        if (++probes > MAX_PROBES) {
            abort("guest answered no window probe");
            return;
        }
        // seq sndUna - 1: old, so the guest answers with an ACK carrying its window (as Linux's probe0)
        send(sndUna - 1, TcpSegment.ACK, null, 0, 0, false);
        output();
    }

    void sendAck() {
        send(sndNxt, TcpSegment.ACK, null, 0, 0, false);
    }

    /** Bytes the SACK option takes in our next segment (0 without held data): data segments carry that much less. */
    private int sackOptionLength() {
        return sackOk && !ooo.isEmpty() ? TcpSegment.sackOption(ooo.sackBlocks(TcpSegment.MAX_SACK_BLOCKS)).length : 0;
    }

    private void send(int seq, int flags, byte[] options, int from, int len, boolean syn) {
        int win;
        if (syn) {
            win = Math.min(toHost.free(), 65535);
        } else {
            win = Math.min(toHost.free() >> rcvShift, 65535);
        }
        if ((flags & TcpSegment.ACK) != 0 || syn) {
            lastAdvertisedEdge = rcvNxt + (syn ? win : win << rcvShift);
        }
        if ((flags & TcpSegment.ACK) != 0) {
            ackPending = false; // every segment with ACK carries the acknowledgement
            lastAckSent = rcvNxt;
        }
        int ack = (flags & TcpSegment.ACK) != 0 ? rcvNxt : 0;
        if (!syn && options == null && sackOk && !ooo.isEmpty() && (flags & TcpSegment.ACK) != 0 && (flags & TcpSegment.RST) == 0) {
            options = TcpSegment.sackOption(ooo.sackBlocks(TcpSegment.MAX_SACK_BLOCKS));
        }
        byte[] seg = TcpSegment.build(key.peerIp(), key.guestIp(), key.peerPort(), key.guestPort(), seq, ack, flags, win, options,
                toGuest, from, len);
        stack.ipOutput(key.peerIp(), key.guestIp(), Ipv4.TCP, seg, 0, seg.length);
    }

    // ---- timers

    private void armRto() {
        cancelRto();
        rto = stack.loop.afterMillis(rtoMs, this::rtoFired);
    }

    private void cancelRto() {
        if (rto != null) {
            rto.cancel();
            rto = null;
        }
    }

    private void rtoFired() {
        rto = null;
        if (state == State.CLOSED) {
            return;
        }
        int max = state == State.SYN_SENT || state == State.SYN_RECEIVED ? MAX_SYN_RETRIES : MAX_RETRIES;
        if (++retries > max) {
            abort("no acknowledgement after " + max + " retransmissions");
            return;
        }
        rtoMs = Math.min(rtoMs * 2, RTO_MAX_MS);
        retransmit();
    }

    /** Go back to {@code sndUna} and send again (RTO or fast retransmit); Karn: no RTT sample from it. */
    private void retransmit() {
        timing = false;
        if (state == State.SYN_SENT || state == State.SYN_RECEIVED) {
            sendSyn();
            return;
        }
        sndNxt = sndUna;
        finSent = false; // sent again after the data
        output();
        armRto();
    }

    private void enterTimeWait() {
        state = State.TIME_WAIT;
        cancelRto();
        restartTimeWait();
    }

    private void restartTimeWait() {
        if (timeWait != null) {
            timeWait.cancel();
        }
        timeWait = stack.loop.afterMillis(TIME_WAIT_MS, () -> close(false));
    }

    // ---- host socket

    @Override
    public void ready(SelectionKey k) throws IOException {
        if (k.isConnectable()) {
            try {
                host.finishConnect();
            } catch (IOException e) {
                Stack.LOG.debug("net '{}': connect for {} failed: {}", stack.id, key, e.toString());
                tcp.refuse(this);
                return;
            }
            connected();
            updateInterest();
            return;
        }
        if (k.isWritable()) {
            writeHost();
        }
        if (k.isValid() && k.isReadable()) {
            readHost();
        }
        if (state != State.CLOSED) {
            updateInterest();
        }
    }

    @Override
    public void failed(Exception e) {
        abort("host socket: " + e);
    }

    private void readHost() throws IOException {
        int n = toGuest.readFrom(host);
        if (n < 0) {
            hostEof = true;
        }
        output();
    }

    private void writeHost() {
        if (toHost.size() > 0 && !hostOutputShut) {
            int before = toHost.free();
            try {
                toHost.writeTo(host);
            } catch (IOException e) {
                abort("writing to the host: " + e.getMessage());
                return;
            }
            int edge = rcvNxt + ((toHost.free() >> rcvShift) << rcvShift);
            if (before != toHost.free() && edge - lastAdvertisedEdge >= Math.min(2 * sndMss, BUFFER / 2)) {
                sendAck();
            }
        }
        if (guestFin && toHost.size() == 0 && !hostOutputShut) {
            hostOutputShut = true;
            try {
                host.shutdownOutput();
            } catch (IOException e) {
                Stack.LOG.debug("net '{}': shutdown for {}: {}", stack.id, key, e.toString());
            }
        }
    }

    private void updateInterest() {
        if (hostKey == null || !hostKey.isValid() || connecting) {
            return;
        }
        int ops = 0;
        boolean open = state == State.ESTABLISHED || state == State.CLOSE_WAIT;
        if (open && !hostEof && toGuest.free() > 0) {
            ops |= SelectionKey.OP_READ;
        }
        if (toHost.size() > 0 && !hostOutputShut) {
            ops |= SelectionKey.OP_WRITE;
        }
        hostKey.interestOps(ops);
    }

    // ---- closing

    /** Resets the guest side and closes the host socket. */
    void abort(String why) {
        Stack.LOG.debug("net '{}': aborting {}: {}", stack.id, key, why);
        if (state != State.CLOSED && state != State.SYN_SENT) {
            send(sndNxt, TcpSegment.RST | TcpSegment.ACK, null, 0, 0, false);
            stack.stats.tcpResets++;
        }
        close(true);
    }

    /** Frees everything (timers, host socket, table entry). */
    void close(boolean abortive) {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        cancelRto();
        if (persist != null) {
            persist.cancel();
        }
        if (timeWait != null) {
            timeWait.cancel();
        }
        if (host != null) {
            try {
                if (abortive) {
                    host.setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
                }
            } catch (IOException e) {
                // closing anyway
            }
            try {
                host.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        tcp.remove(this);
    }

    boolean halfOpen() {
        return state == State.SYN_RECEIVED;
    }

    int buffered() {
        return toGuest.size() + toHost.size() + ooo.bytes();
    }

    int outOfOrderPieces() {
        return ooo.size();
    }

    int sndShift() {
        return sndShift;
    }

    int rcvShift() {
        return rcvShift;
    }

    int sndWnd() {
        return sndWnd;
    }

    int iss() {
        return iss;
    }

    int rcvNxtForRefuse() {
        return rcvNxt;
    }
}
