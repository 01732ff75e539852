; CPU benchmark ROM, call/return-heavy kernel (32-bit protected mode): ROUNDS rounds of a
; naive recursive fib(20) with stack frames (21891 calls a round).
; Prints "RESULT sum" (ROUNDS * 6765) to port 0xE9. Instructions per round, analytic
; (scripts/bench/cpu-bench.sh): 6 + 7 per leaf call (fib(21) = 10946 of them) + 19 per inner
; call (10945) = 284583.
%include "lib.inc"
%include "pm.inc"
%ifndef ROUNDS
%define ROUNDS 200
%endif
FIBN  equ 20
SUM   equ 0x600
LEFT  equ 0x604
PM32_ROM_START
  mov dword [SUM], 0
  mov dword [LEFT], ROUNDS
round:
  push dword FIBN
  call fib
  add esp, 4
  add [SUM], eax
  dec dword [LEFT]
  jnz round
  RESULT_HEX32 SUM
fib:                                      ; fib(n) = n for n < 2, else fib(n-1) + fib(n-2)
  push ebp
  mov ebp, esp
  mov eax, [ebp + 8]
  cmp eax, 2
  jb .done
  push ebx
  dec eax
  push eax
  call fib
  mov ebx, eax
  mov eax, [ebp + 8]
  sub eax, 2
  push eax
  call fib
  add esp, 8
  add eax, ebx
  pop ebx
.done: pop ebp
  ret

  PM32_ROM_END
