; CPU benchmark ROM (32-bit protected mode): ROUNDS rounds of an LCG buffer fill (memory),
; a bitwise branch-free CRC32 over it (integer), and a sieve of Eratosthenes (branches).
; Prints "RESULT crc primes inner" to port 0xE9; the instruction count is analytic:
;   per round 13 + 6*4096 + 69*16384 + N + 5*(N-2), plus 5 per prime found and 5 per
;   inner sieve iteration (both printed), plus a few hundred setup instructions.
%include "lib.inc"
%include "pm.inc"
%ifndef ROUNDS
%define ROUNDS 200
%endif
N     equ 32768
BUF   equ 0x20000
SIEVE equ 0x30000
SEED  equ 0x600
CRC   equ 0x604
PRIMES equ 0x608
LEFT  equ 0x60C
PM32_ROM_START
  mov dword [SEED], 12345
  mov dword [CRC], 0xFFFFFFFF
  mov dword [PRIMES], 0
  mov dword [LEFT], ROUNDS
  xor ebp, ebp                            ; inner sieve iterations
round:
  mov esi, BUF
  mov ecx, 4096
  mov eax, [SEED]
.fill: imul eax, eax, 1103515245
  add eax, 12345
  mov [esi], eax
  add esi, 4
  dec ecx
  jnz .fill
  mov [SEED], eax
  mov esi, BUF
  mov ebx, 16384
  mov eax, [CRC]
.byte: xor al, [esi]
  inc esi
  mov ecx, 8
.bit: mov edx, eax
  shr eax, 1
  and edx, 1
  neg edx
  and edx, 0xEDB88320
  xor eax, edx
  dec ecx
  jnz .bit
  dec ebx
  jnz .byte
  mov [CRC], eax
  mov edi, SIEVE
  mov ecx, N / 4
.clr: mov dword [edi], 0
  add edi, 4
  dec ecx
  jnz .clr
  mov esi, 2
.outer: cmp byte [SIEVE + esi], 0
  jne .next
  inc dword [PRIMES]
  mov ebx, esi
  add ebx, esi
  cmp ebx, N
  jae .next
.inner: mov byte [SIEVE + ebx], 1
  inc ebp
  add ebx, esi
  cmp ebx, N
  jb .inner
.next: inc esi
  cmp esi, N
  jb .outer
  dec dword [LEFT]
  jnz round
  mov esi, s_result
  call puts_32
  mov eax, [CRC]
  call hex_32
  mov al, ' '
  call putc_32
  mov eax, [PRIMES]
  call hex_32
  mov al, ' '
  call putc_32
  mov eax, ebp
  call hex_32
  mov al, 10
  call putc_32
  call finish_32
s_result: db "RESULT ", 0

  PM32_ROM_END
