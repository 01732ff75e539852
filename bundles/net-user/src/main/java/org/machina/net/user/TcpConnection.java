package org.machina.net.user;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * One NATed TCP connection: the guest-side TCP state machine (RFC 793 states, RFC 6298
 * retransmission timer, RFC 7323 window scaling and timestamps, zero-window probes RFC 1122
 * 4.2.2.17, SACK both ways RFC 2018 with RFC 6675 loss recovery, RFC 5681 congestion control
 * with RFC 6582 NewReno for a guest without SACK, delayed ACKs RFC 1122 4.2.3.2) spliced onto a
 * non-blocking host {@link SocketChannel}.
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
 * data waits), delayed ACK ({@link #delack}), host flush ({@link #hostFlush}: guest data held
 * without a push, see {@link #HOST_WRITE_BATCH}), TIME_WAIT.
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
    /**
     * Guest data less than two full-sized segments is acknowledged after this delay unless a
     * segment to the guest carries the ACK first (RFC 1122 4.2.3.2: under 0.5 s; RFC 5681 section
     * 4.2: at least every second full-sized segment).
     */
    static final long DELACK_MS = 40;
    /**
     * Guest data goes to the host socket when the guest pushes it (PSH, RFC 793 / RFC 1122
     * 4.2.2.2: what the sender's application wrote ends there), with its FIN, once this many bytes
     * wait, or {@link #HOST_FLUSH_MS} after it came; not after every segment. A bulk sender's
     * segments come one per read of the NIC's frames, and a write to a loopback socket is the
     * dearest thing the loop does per segment (the receiver's TCP runs in it); a Linux guest's TSO
     * bursts (up to 64 KiB) end with PSH, so one write per burst instead of one per segment.
     */
    static final int HOST_WRITE_BATCH = 32 * 1024;
    static final long HOST_FLUSH_MS = 5;

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
    /** While connecting: the guest SYN's quote for an ICMP unreachable if the connect fails ({@link IcmpError#quote}), or null. */
    byte[] synQuote;

    // send side (host -> guest)
    private final int iss;
    private int sndUna;
    private int sndNxt;
    /** The highest sequence number sent so far (+1): {@link #sndNxt} goes back to {@link #sndUna} after a timeout, this does not. */
    private int sndMax;
    private int sndWnd;
    private int sndWl1;
    private int sndWl2;
    private int sndShift;
    private int sndMss = 536;
    private final ByteRing toGuest = new ByteRing(16 * 1024, BUFFER);
    private boolean hostEof;
    private boolean finSent;
    /** A FIN was sent at {@link #finSeq} once (it stays there when a timeout sends it again). */
    private boolean finEverSent;
    private int finSeq;
    private int dupAcks;
    /** RFC 5681 congestion control of what we send; SMSS settled by the handshake. */
    private TcpCongestion cc = new TcpCongestion(536);
    /** What the guest SACKed above {@link #sndUna} (RFC 6675's scoreboard), when {@link #sackOk}. */
    private final SackScoreboard board = new SackScoreboard();
    /** In fast recovery until {@link #recover} (RFC 6582/6675's RecoveryPoint) is acknowledged. */
    private boolean inRecovery;
    private int recover;
    /** RFC 6675's HighRxt: the highest sequence number retransmitted in this recovery (+1). */
    private int highRxt;
    /** Timestamps (RFC 7323) when the guest's SYN or SYN-ACK carried them. */
    private final TcpTimestamps tsOpt = new TcpTimestamps(java.util.concurrent.ThreadLocalRandom.current().nextInt());
    /** A bogus SACK block or timestamp from the guest was logged for this connection already (counted always). */
    private boolean bogusLogged;

    // receive side (guest -> host)
    private int rcvNxt;
    private int rcvShift;
    private int lastAdvertisedEdge;
    /** rcvNxt as last acknowledged to the guest. */
    private int lastAckSent;
    /** Guest data or FIN taken in this input batch and not acknowledged yet. */
    private boolean ackPending;
    /** The pending ACK may not wait for the delayed-ACK timer (the guest's FIN came). */
    private boolean ackNow;
    /** The largest guest segment seen: "full-sized" for the delayed-ACK rule. */
    private int rcvMss = 536;
    private final ByteRing toHost = new ByteRing(16 * 1024, BUFFER);
    /** Guest data that came ahead of a hole; always inside the advertised window, so within toHost's bound. */
    private final OutOfOrderQueue ooo = new OutOfOrderQueue();
    /** Both sides sent SACK-permitted (RFC 2018): our ACKs carry SACK blocks for {@link #ooo}. */
    private boolean sackOk;
    private boolean guestFin;
    private boolean hostOutputShut;
    /** The guest pushed data that is still in {@link #toHost}: write it at the end of the batch. */
    private boolean pushed;
    /** A write to the host socket left data (the socket is full): {@code OP_WRITE} interest until it drains. */
    private boolean hostFull;

    // timers
    private EventLoop.Deadline rto;
    private EventLoop.Deadline persist;
    private EventLoop.Deadline timeWait;
    private EventLoop.Deadline delack;
    private EventLoop.Deadline hostFlush;
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
        this.sndMax = iss;
        this.recover = iss - 1;
        this.mss = stack.cfg.mtu - key.guestIp().headerLength() - TcpSegment.HEADER;
        this.rcvMss = Math.min(rcvMss, mss);
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
        tsOpt.syn(s, stack.cfg.tcpTimestamps);
        sndMss = Math.min(s.mss() > 0 ? s.mss() : 536, mss);
        cc = new TcpCongestion(sndMss - (tsOpt.enabled ? TcpSegment.TIMESTAMPS_LENGTH : 0));
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
        synQuote = null;
        sendSyn();
    }

    private void sendSyn() {
        sndNxt = iss + 1;
        sndMax = sndNxt;
        boolean synAck = state == State.SYN_RECEIVED;
        int ws = synAck ? (rcvShift > 0 ? RCV_SHIFT : -1) : RCV_SHIFT;
        boolean sack = !synAck || sackOk; // offered on our SYN, answered on our SYN-ACK
        boolean ts = synAck ? tsOpt.enabled : stack.cfg.tcpTimestamps; // the same for timestamps (TSecr 0 on our SYN)
        send(iss, synAck ? TcpSegment.SYN | TcpSegment.ACK : TcpSegment.SYN,
                TcpSegment.synOptions(mss, ws, sack, ts, tsOpt.now(), synAck ? tsOpt.recent : 0), 0, 0, true);
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
        if (tsOpt.pawsRejects(s)) {
            // RFC 7323 section 5.3: an old duplicate (or a guest whose clock went back): ACK, drop
            stack.stats.tcpPawsDropped++;
            bogus("timestamp " + Integer.toUnsignedString(s.tsVal()) + " older than " + Integer.toUnsignedString(tsOpt.recent));
            sendAck();
            return;
        }
        if (tsOpt.enabled && !s.ts() && !s.has(TcpSegment.RST)) {
            stack.stats.tcpPawsDropped++; // RFC 7323 section 3.2: without the option once negotiated, dropped
            bogus("a segment without timestamps after they were negotiated");
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
        tsOpt.update(s, lastAckSent);
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
                ackedSomething(s, s.ack());
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
        ackedSomething(s, s.ack());
        sendAck();
        output();
        updateInterest();
    }

    /** ACK field processing; false if the segment is to be dropped. */
    private boolean processAck(TcpSegment s) {
        int ack = s.ack();
        if (lt(sndMax, ack)) {
            sendAck();
            return false;
        }
        if (lt(sndNxt, ack)) {
            sndNxt = ack; // after a timeout sent from sndUna again, the guest held more than that
        }
        int window = s.window() << sndShift;
        if (s.badSack()) {
            stack.stats.tcpBogusSack++;
            bogus("a SACK option of a bad length");
        }
        boolean advanced = lt(sndUna, ack);
        int acked = ack - sndUna;
        if (advanced) {
            toGuest.skip(Math.min(acked, toGuest.size()));
            sndUna = ack;
            board.advance(ack);
            if (lt(highRxt, ack)) {
                highRxt = ack;
            }
        }
        if (sackOk && s.sack() != null) {
            int bogus = board.add(s.sack(), sndUna, sndMax);
            if (bogus > 0) {
                stack.stats.tcpBogusSack += bogus;
                bogus(bogus + " SACK block(s) outside the data sent (" + sndUna + ".." + sndMax + ")");
            }
        }
        if (advanced) {
            ackedSomething(s, ack);
            if (inRecovery) {
                if (le(recover, ack)) {
                    inRecovery = false; // a full acknowledgement
                    cc.recovered(sndNxt - sndUna);
                } else if (!sackOk) {
                    cc.partialAck(acked); // RFC 6582: the next hole is lost too
                    retransmitAt(sndUna, segMax());
                }
            } else {
                cc.acked(acked);
            }
            if (finEverSent && ack == finSeq + 1) {
                finSent = true;
                finAcked();
                if (state == State.CLOSED) {
                    return false;
                }
            }
        } else if (ack == sndUna && s.dataLen() == 0 && !s.has(TcpSegment.FIN) && window == sndWnd && sndNxt != sndUna) {
            dupAcks++;
            if (inRecovery) {
                if (!sackOk) {
                    cc.inflate();
                }
            } else if ((dupAcks >= SackScoreboard.DUP_THRESH || sackOk && board.isLost(sndUna, segMax())) && lt(recover, ack - 1)) {
                enterRecovery();
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

    /**
     * Fast retransmit (RFC 5681 section 3.2 with RFC 6582 / RFC 6675): halve, remember the
     * recovery point, resend the first unacknowledged segment; {@link #output} sends the other
     * lost holes (with SACK) and new data as the window allows.
     */
    private void enterRecovery() {
        stack.stats.tcpFastRetransmits++;
        inRecovery = true;
        recover = sndMax;
        cc.fastRetransmit(sndMax - sndUna, sackOk);
        highRxt = sndUna;
        timing = false; // Karn
        retransmitAt(sndUna, segMax());
    }

    /** Sends {@code len} bytes (at most one segment) from {@code seq} again, or the FIN if {@code seq} is where it was. */
    private void retransmitAt(int seq, int len) {
        if (!stack.link.hasRoom(1)) {
            return; // the retransmission timer covers it
        }
        int from = seq - sndUna;
        int n = Math.min(Math.min(len, segMax()), Math.min(toGuest.size() - from, sndMax - seq));
        if (n > 0) {
            send(seq, TcpSegment.ACK, null, from, n, false);
            seq += n;
        } else if (finEverSent && seq == finSeq) {
            send(seq, TcpSegment.FIN | TcpSegment.ACK, null, 0, 0, false);
            seq++;
        } else {
            return;
        }
        if (lt(highRxt, seq)) {
            highRxt = seq;
        }
        if (rto == null) {
            armRto();
        }
    }

    /** RTT from the timestamp echo (any ACK of new data, once per flight) or, without timestamps, from the timed segment. */
    private void ackedSomething(TcpSegment s, int ack) {
        dupAcks = 0;
        retries = 0;
        if (tsOpt.enabled) {
            long r = tsOpt.rttMs(s, RTO_MAX_MS);
            if (r == -2) {
                stack.stats.tcpBogusTimestamps++;
                bogus("a timestamp echo " + Integer.toUnsignedString(s.tsEcr()) + " we never sent");
            } else if (r >= 0 && lt(rttSeq, ack)) {
                sampleRtt(r);
                rttSeq = sndNxt;
            }
        } else if (timing && lt(rttSeq, ack)) {
            sampleRtt((System.nanoTime() - rttStart) / 1_000_000);
            timing = false;
        }
        cancelRto();
        if (sndUna != sndNxt) {
            armRto();
        }
        if (!hostEof) {
            updateInterest();
        }
    }

    /** A guest's bogus option (SACK block, timestamp): counted by the caller, logged once per connection. */
    private void bogus(String what) {
        if (!bogusLogged) {
            bogusLogged = true;
            Stack.LOG.warn("net '{}': {} from the guest on {}, ignored (logged once per connection)", stack.id, what, key);
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
        if (len > rcvMss) {
            rcvMss = Math.min(len, mss);
        }
        if (len > 0) {
            if (!open) {
                sendAck();
                return;
            }
            int take = Math.min(len, toHost.free());
            toHost.append(s.buf(), off, take);
            rcvNxt += take;
            ack = true;
            pushed |= s.has(TcpSegment.PSH);
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
            pushed |= filledHole; // the held pieces' pushes are not kept: deliver now
        }
        if (fin && !guestFin) {
            rcvNxt++;
            guestFin = true;
            ack = true;
            ackNow = true;
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

    /**
     * The end of an input batch: writes the guest's data to the host socket if it was pushed, ends
     * with the guest's FIN or fills {@link #HOST_WRITE_BATCH} (else arms {@link #hostFlush}), then
     * acknowledges what is not yet.
     */
    void flushInput() {
        if (pushed || guestFin || toHost.size() >= HOST_WRITE_BATCH) {
            writeHost();
        } else if (toHost.size() > 0 && hostFlush == null) {
            hostFlush = stack.loop.afterMillis(tcp.hostFlushMs, this::hostFlushFired);
        }
        if (ackPending && state != State.CLOSED) {
            if (ackNow || rcvNxt - lastAckSent >= 2 * rcvMss) {
                sendAck();
            } else if (delack == null) {
                delack = stack.loop.afterMillis(DELACK_MS, this::delayedAck);
            }
        }
    }

    /** Guest data waited {@link #HOST_FLUSH_MS} without a push: it goes to the host now. */
    private void hostFlushFired() {
        hostFlush = null;
        if (state != State.CLOSED) {
            writeHost();
        }
    }

    /** The delayed-ACK timer: no segment to the guest carried the acknowledgement meanwhile. */
    private void delayedAck() {
        delack = null;
        if (ackPending && state != State.CLOSED) {
            sendAck();
        }
    }

    // ---- sending to the guest

    /**
     * Sends what the guest's window, the congestion window (in SACK recovery: RFC 6675's pipe,
     * lost holes first), the to-guest queue and the buffered data allow; then FIN if due.
     */
    void output() {
        if (state == State.SYN_SENT || state == State.SYN_RECEIVED || state == State.CLOSED || connecting) {
            return;
        }
        boolean blocked = false;
        while (true) {
            if (!stack.roomFor(QUEUE_RESERVE)) {
                blocked = sndNxt - sndUna < toGuest.size() || inRecovery;
                break;
            }
            int seg = segMax();
            boolean sackRecovery = inRecovery && sackOk;
            if (sackRecovery) {
                if (cc.cwnd - board.pipe(sndUna, sndNxt, highRxt, seg) < seg) {
                    break;
                }
                long hole = board.nextLost(sndUna, highRxt, seg, seg);
                if (hole != -1) {
                    int before = highRxt;
                    retransmitAt((int) (hole >>> 32), (int) hole);
                    if (highRxt == before) {
                        break;
                    }
                    continue;
                }
            }
            int inFlight = sndNxt - sndUna;
            int unsent = toGuest.size() - Math.min(inFlight, toGuest.size());
            if (finSent) {
                unsent = 0;
            }
            if (unsent <= 0) {
                break;
            }
            int usable = sndWnd - inFlight;
            if (!sackRecovery) {
                int byCwnd = cc.cwnd - inFlight;
                if (byCwnd < usable) {
                    if (byCwnd < Math.min(unsent, seg)) {
                        break; // wait for an ACK rather than send a runt (sender SWS avoidance)
                    }
                    usable = byCwnd;
                }
            }
            if (usable <= 0) {
                break;
            }
            int n = Math.min(Math.min(unsent, usable), seg);
            int from = sndNxt - sndUna;
            boolean last = n == unsent;
            send(sndNxt, TcpSegment.ACK | (last ? TcpSegment.PSH : 0), null, from, n, false);
            if (!timing && !lt(sndNxt, sndMax)) { // new data only (Karn)
                timing = true;
                rttSeq = sndNxt;
                rttStart = System.nanoTime();
            }
            sndNxt += n;
            if (lt(sndMax, sndNxt)) {
                sndMax = sndNxt;
            }
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
            finEverSent = true;
            send(sndNxt, TcpSegment.FIN | TcpSegment.ACK, null, 0, 0, false);
            sndNxt++;
            if (lt(sndMax, sndNxt)) {
                sndMax = sndNxt;
            }
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

    /** The data a segment to the guest may carry: its MSS less the options it carries (RFC 6691). */
    private int segMax() {
        return sndMss - (tsOpt.enabled ? TcpSegment.TIMESTAMPS_LENGTH : 0) - sackOptionLength();
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
        return sackOk && !ooo.isEmpty() ? TcpSegment.sackOption(ooo.sackBlocks(maxSackBlocks())).length : 0;
    }

    private int maxSackBlocks() {
        return tsOpt.enabled ? TcpSegment.MAX_SACK_BLOCKS_WITH_TIMESTAMPS : TcpSegment.MAX_SACK_BLOCKS;
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
            ackNow = false;
            if (delack != null) {
                delack.cancel();
                delack = null;
            }
            lastAckSent = rcvNxt;
        }
        int ack = (flags & TcpSegment.ACK) != 0 ? rcvNxt : 0;
        if (!syn && options == null && (flags & TcpSegment.RST) == 0) {
            int[] sack = sackOk && !ooo.isEmpty() && (flags & TcpSegment.ACK) != 0 ? ooo.sackBlocks(maxSackBlocks()) : null;
            options = TcpSegment.options(tsOpt.enabled, tsOpt.now(), tsOpt.recent, sack);
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
        timing = false; // Karn: no RTT sample from what is sent again
        if (state == State.SYN_SENT || state == State.SYN_RECEIVED) {
            sendSyn();
            return;
        }
        // RFC 5681 section 3.1 / RFC 6582 / RFC 2018 section 8: loss window, forget the SACKs, go back to sndUna
        stack.stats.tcpTimeouts++;
        cc.timeout(sndMax - sndUna, retries == 1);
        inRecovery = false;
        recover = sndMax;
        board.clear();
        dupAcks = 0;
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
                tcp.connectFailed(this, e);
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
        if (hostFlush != null) {
            hostFlush.cancel();
            hostFlush = null;
        }
        pushed = false;
        if (toHost.size() > 0 && !hostOutputShut) {
            int before = toHost.free();
            try {
                toHost.writeTo(host);
                stack.stats.tcpHostWrites++;
            } catch (IOException e) {
                abort("writing to the host: " + e.getMessage());
                return;
            }
            hostFull = toHost.size() > 0;
            int edge = rcvNxt + ((toHost.free() >> rcvShift) << rcvShift);
            // an ACK already due (delayed) carries the update too, unless the guest's window is nearly used up
            boolean canWait = ackPending && lastAdvertisedEdge - rcvNxt >= 2 * rcvMss;
            if (before != toHost.free() && edge - lastAdvertisedEdge >= Math.min(2 * sndMss, BUFFER / 2) && !canWait) {
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
        if (state != State.CLOSED) {
            updateInterest();
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
        if (hostFull && !hostOutputShut) {
            ops |= SelectionKey.OP_WRITE; // only while a write was cut short: data held for a push needs no wake-up
        }
        if (hostKey.interestOps() != ops) {
            hostKey.interestOps(ops);
        }
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
        if (delack != null) {
            delack.cancel();
        }
        if (hostFlush != null) {
            hostFlush.cancel();
        }
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

    /** The host socket's selector interest (tests). */
    int hostInterest() {
        return hostKey == null || !hostKey.isValid() ? 0 : hostKey.interestOps();
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

    int sackRanges() {
        return board.ranges();
    }

    long srttMs() {
        return srttMs;
    }

    int cwnd() {
        return cc.cwnd;
    }

    boolean timestamps() {
        return tsOpt.enabled;
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
