; The ACPI PM timer against the 8254, as an OS checks its rate at boot: PIT counter 2 counts down
; LATCH input-clock ticks in mode 0 (gate high through port 0x61, LSB then MSB, a write to port
; 0x80 after each byte), the PM timer is read right after the count is loaded, port 0x61 is
; polled (each read followed by a write to port 0x80) until OUT2 (bit 5) rises, and the PM timer
; is read again. The PM timer runs at 3.579545 MHz, three times the 8254's 1.193182 MHz, so the
; delta should be 3 * LATCH. Each of ROUNDS rounds prints
;   PMTMR round R delta D expected E permille P polls N
; (decimal; P = 1000 * D / E) to the debug console, then END; BareMetalIT judges the numbers.
; Linux (verify_pmtmr_rate) rejects the PM timer when P is outside 950..1050.
; -DGAPS reads the PM timer after every port 0x61 read too and adds "maxgap G seen S": the
; largest step between two of those reads and the PM ticks from the first read to the poll that
; saw OUT2 high (where the time went when P is off).
; Runs on qemu-system-i386 (the PIIX4 PM function 00:01.3 is given I/O base 0x600 first; on
; Machina's pc board the registers sit at 0x600 already and those config writes go nowhere).
%include "lib.inc"
%include "pm.inc"
%ifndef ROUNDS
%define ROUNDS 8
%endif
%ifndef LATCH
%define LATCH 35795                       ; 30 ms of 8254 ticks, as Linux's CALIBRATE_LATCH
%endif
PM_BASE   equ 0x600
PM_TMR    equ PM_BASE + 8
EXPECTED  equ 3 * LATCH
V1        equ 0x600
ROUND     equ 0x604
LAST      equ 0x608
MAXGAP    equ 0x60C

PM32_ROM_START
  ; PIIX4 PM (QEMU): PMBA (0x40) = PM_BASE | I/O, PMREGMISC (0x80) bit 0 = I/O space enabled
  mov dx, 0xCF8
  mov eax, 0x80000B40                     ; bus 0, device 1, function 3, register 0x40
  out dx, eax
  mov dx, 0xCFC
  mov eax, PM_BASE | 1
  out dx, eax
  mov dx, 0xCF8
  mov eax, 0x80000B80
  out dx, eax
  mov dx, 0xCFC
  mov al, 1
  out dx, al
  mov dword [ROUND], 0
.round:
  inc dword [ROUND]
  ; counter 2 gate high, speaker off
  in al, 0x61
  and al, ~0x02
  or al, 0x01
  out 0x61, al
  ; counter 2, LSB then MSB, mode 0, binary; the count starts with the MSB
  mov al, 0xB0
  out 0x43, al
  mov al, LATCH & 0xFF
  out 0x42, al
  out 0x80, al
  mov al, LATCH >> 8
  out 0x42, al
  out 0x80, al
  mov dx, PM_TMR
  in eax, dx
  mov [V1], eax
  xor ecx, ecx
%ifdef GAPS
  mov [LAST], eax
  mov dword [MAXGAP], 0
%endif
.poll:
  inc ecx
  in al, 0x61
%ifdef GAPS
  push eax                                ; PM timer after each port 0x61 read: largest step
  in eax, dx
  push eax
  sub eax, [LAST]
  and eax, 0xFFFFFF
  cmp eax, [MAXGAP]
  jbe .nogap
  mov [MAXGAP], eax
.nogap:
  pop eax
  mov [LAST], eax
  pop eax
%endif
  out 0x80, al
  test al, 0x20
  jz .poll
  in eax, dx
  sub eax, [V1]
  and eax, 0xFFFFFF
  mov ebx, eax                            ; delta
  mov esi, s_round
  call puts_32
  mov eax, [ROUND]
  call dec_32
  mov esi, s_delta
  call puts_32
  mov eax, ebx
  call dec_32
  mov esi, s_expected
  call puts_32
  mov eax, EXPECTED
  call dec_32
  mov esi, s_permille
  call puts_32
  mov eax, ebx
  mov edi, 1000
  mul edi
  mov edi, EXPECTED
  div edi
  call dec_32
  mov esi, s_polls
  call puts_32
  mov eax, ecx
  call dec_32
%ifdef GAPS
  mov esi, s_gap
  call puts_32
  mov eax, [MAXGAP]
  call dec_32
  mov esi, s_seen
  call puts_32
  mov eax, [LAST]
  sub eax, [V1]
  and eax, 0xFFFFFF
  call dec_32
%endif
  mov al, 10
  call putc_32
  cmp dword [ROUND], ROUNDS
  jb .round
  call finish_32

; EAX printed in decimal (registers preserved)
dec_32:
  push eax
  push ecx
  push edx
  push edi
  mov edi, 10
  xor ecx, ecx
.div:
  xor edx, edx
  div edi
  push edx
  inc ecx
  test eax, eax
  jnz .div
.out:
  pop eax
  add al, '0'
  out 0xE9, al
  loop .out
  pop edi
  pop edx
  pop ecx
  pop eax
  ret

s_round:    db "PMTMR round ", 0
s_delta:    db " delta ", 0
s_expected: db " expected ", 0
s_permille: db " permille ", 0
s_polls:    db " polls ", 0
s_gap:      db " maxgap ", 0
s_seen:     db " seen ", 0

  PM32_ROM_END
