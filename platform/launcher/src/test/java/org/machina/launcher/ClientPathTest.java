package org.machina.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** Which command lines skip the framework: the client class decides; without it the framework runs everything. */
class ClientPathTest {
    /** A client that takes {@code ping} and answers 7. */
    public static final class PingClient implements Function<String[], Integer>, Predicate<String[]> {
        @Override
        public boolean test(String[] args) {
            return args.length > 0 && args[0].equals("ping");
        }

        @Override
        public Integer apply(String[] args) {
            return 7;
        }
    }

    /** Not a client: neither interface. */
    public static final class NotAClient {
    }

    private static final ClassLoader LOADER = ClientPathTest.class.getClassLoader();

    @Test
    void theClientRunsTheCommandsItTakes() {
        var client = ClientPath.forArgs(new String[] {"ping", "x"}, PingClient.class.getName(), LOADER);
        assertTrue(client.isPresent());
        assertEquals(7, client.get().apply(new String[] {"ping", "x"}));
    }

    @Test
    void otherCommandsGoToTheFramework() {
        assertFalse(ClientPath.forArgs(new String[] {"run", "-machine", "pc"}, PingClient.class.getName(), LOADER).isPresent());
        assertFalse(ClientPath.forArgs(new String[0], PingClient.class.getName(), LOADER).isPresent());
    }

    @Test
    void withoutTheClientClassEverythingGoesToTheFramework() {
        // the launcher's own test class path has no CLI jar
        assertFalse(ClientPath.forArgs(new String[] {"list"}, ClientPath.CLIENT_CLASS, LOADER).isPresent());
    }

    @Test
    void aClassOfTheWrongShapeIsAnError() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ClientPath.forArgs(new String[] {"list"}, NotAClient.class.getName(), LOADER));
        assertTrue(e.getMessage().contains("Predicate<String[]>"), e.getMessage());
    }
}
