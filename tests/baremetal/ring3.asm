; Privilege levels and tasks: ring 3 entered through IRET, ring-3 #GP (HLT, OUT with IOPL 0,
; loading a DPL 0 data segment, INT through a DPL 0 gate) with the TSS ring-0 stack switch,
; INT3 through a DPL 3 gate, a call gate with parameters, a conforming code segment, a system call back to ring 0 through a DPL 3 interrupt gate, and a
; hardware task switch through a task gate and back with IRET (NT, back link, busy bits),
; and a double fault delivered through a task gate.
%include "lib.inc"
%include "pm.inc"
R3 equ 0x700                             ; results written by the ring-3 code
PM32_ROM_START
  MAIN_TSS 0x400                         ; TSS1 .. TSS3 zeroed
  movzx eax, byte [GDT_RAM + SEL_TSS1 + 5]
  CHECK "ltr-marks-tss-busy", 0x8B
  SET_GATE 0x80, h_sys, 0xEE, SEL_CODE32
  SET_GATE 0x40, h_sys, 0x8E, SEL_CODE32
  mov eax, cg_target                     ; call gate: DPL 3, 2 parameter dwords, to ring 0
  mov [GDT_RAM + SEL_CGATE], ax
  mov word [GDT_RAM + SEL_CGATE + 2], SEL_CODE32
  mov word [GDT_RAM + SEL_CGATE + 4], 0xEC02
  shr eax, 16
  mov [GDT_RAM + SEL_CGATE + 6], ax
  push dword SEL_UDATA | 3
  push dword 0x9000
  push dword 0x002
  push dword SEL_UCODE | 3
  push dword ring3
  iret

ring3:                                   ; CPL 3 from here
  mov ax, SEL_UDATA | 3
  mov ds, ax
  mov es, ax
  mov eax, cs
  and eax, 3
  mov [R3 + 0x00], eax
  EXPECT .a
  hlt
.a: mov eax, [LASTVEC]
  mov [R3 + 0x04], eax
  mov eax, [LASTERR]
  mov [R3 + 0x08], eax
  mov eax, [FAULTSP]
  mov [R3 + 0x0C], eax
  mov eax, [0x6000 - 8]                  ; saved ESP of ring 3 on the ring-0 stack
  mov [R3 + 0x10], eax
  EXPECT .b
  mov ax, SEL_DATA32
  mov ds, ax
.b: mov eax, [LASTVEC]
  mov [R3 + 0x14], eax
  mov eax, [LASTERR]
  mov [R3 + 0x18], eax
  EXPECT .c
  int 0x40
.c: mov eax, [LASTVEC]
  mov [R3 + 0x1C], eax
  mov eax, [LASTERR]
  mov [R3 + 0x20], eax
  EXPECT .d
  out 0xE9, al
.d: mov eax, [LASTVEC]
  mov [R3 + 0x24], eax
  mov eax, [LASTERR]
  mov [R3 + 0x28], eax
  EXPECT .e
  int3
.e: mov eax, [LASTVEC]
  mov [R3 + 0x2C], eax
  mov eax, [FAULTCS]
  mov [R3 + 0x30], eax
  push dword 0x1111                      ; call gate with two parameters
  push dword 0x2222
  call SEL_CGATE | 3 : 0
  mov [R3 + 0x34], esp                   ; RETF 8 dropped the parameters
  call SEL_CONF : conf_target            ; conforming code runs at CPL 3
  EXPECT .f
  call SEL_CODE32 : conf_target          ; non-conforming DPL 0 code: #GP(selector)
.f: mov eax, [LASTVEC]
  mov [R3 + 0x38], eax
  mov eax, [LASTERR]
  mov [R3 + 0x3C], eax
  int 0x80                               ; back to ring 0

cg_target:                               ; ring 0 through the call gate
  mov [0x750], esp
  mov eax, [esp + 4]
  mov [0x754], eax                       ; caller CS
  mov eax, [esp + 8]
  mov [0x758], eax                       ; parameter pushed last
  mov eax, [esp + 12]
  mov [0x75C], eax                       ; parameter pushed first
  mov eax, [esp + 16]
  mov [0x760], eax                       ; caller ESP
  mov eax, cs
  mov [0x764], eax
  retf 8
conf_target:
  mov eax, cs
  mov [0x7C0], eax
  retf

h_sys:
  mov [0x740], esp
  mov eax, [esp + 4]
  mov [0x744], eax                       ; saved CS
  mov eax, [esp + 12]
  mov [0x748], eax                       ; saved ESP
  mov eax, [esp + 16]
  mov [0x74C], eax                       ; saved SS
  mov ax, SEL_DATA32
  mov ds, ax
  mov es, ax
  mov esp, 0x7000
  mov eax, [R3 + 0x00]
  CHECK "ring3-cpl", 3
  mov eax, [R3 + 0x04]
  CHECK "ring3-hlt-gp-vector", 13
  mov eax, [R3 + 0x08]
  CHECK "ring3-hlt-gp-error", 0
  mov eax, [R3 + 0x0C]
  CHECK "ring3-fault-on-tss-esp0-stack", 0x6000 - 20
  mov eax, [R3 + 0x10]
  CHECK "ring3-saved-esp", 0x9000
  mov eax, [R3 + 0x14]
  CHECK "ring3-load-dpl0-ds-gp-vector", 13
  mov eax, [R3 + 0x18]
  CHECK "ring3-load-dpl0-ds-gp-error", SEL_DATA32
  mov eax, [R3 + 0x1C]
  CHECK "ring3-int-dpl0-gate-gp-vector", 13
  mov eax, [R3 + 0x20]
  CHECK "ring3-int-dpl0-gate-gp-error", 0x40*8 + 2
  mov eax, [R3 + 0x24]
  CHECK "ring3-out-iopl0-gp-vector", 13
  mov eax, [R3 + 0x28]
  CHECK "ring3-out-iopl0-gp-error", 0
  mov eax, [R3 + 0x2C]
  CHECK "ring3-int3-dpl3-gate", 3
  mov eax, [R3 + 0x30]
  CHECK "ring3-int3-saved-cs", SEL_UCODE | 3
  mov eax, [0x740]
  CHECK "syscall-esp-from-tss", 0x6000 - 20
  mov eax, [0x744]
  CHECK "syscall-saved-cs", SEL_UCODE | 3
  mov eax, [0x748]
  CHECK "syscall-saved-esp", 0x9000
  mov eax, [0x74C]
  CHECK "syscall-saved-ss", SEL_UDATA | 3
  mov eax, [0x750]
  CHECK "callgate-esp-from-tss", 0x6000 - 24
  mov eax, [0x754]
  CHECK "callgate-saved-cs", SEL_UCODE | 3
  mov eax, [0x758]
  CHECK "callgate-param-0", 0x2222
  mov eax, [0x75C]
  CHECK "callgate-param-1", 0x1111
  mov eax, [0x760]
  CHECK "callgate-saved-esp", 0x9000 - 8
  mov eax, [0x764]
  and eax, 0xFFFF
  CHECK "callgate-cs-ring0", SEL_CODE32
  mov eax, [R3 + 0x34]
  CHECK "callgate-retf-pops-params", 0x9000
  mov eax, [0x7C0]
  and eax, 0xFFFF
  CHECK "conforming-keeps-cpl3", SEL_CONF | 3
  mov eax, [R3 + 0x38]
  CHECK "far-call-dpl0-code-gp-vector", 13
  mov eax, [R3 + 0x3C]
  CHECK "far-call-dpl0-code-gp-error", SEL_CODE32
; ---- hardware task switch through a task gate, back with IRET
  mov dword [TSS2 + 0x20], task2         ; EIP
  mov dword [TSS2 + 0x24], 0x002         ; EFLAGS
  mov dword [TSS2 + 0x38], 0x5000        ; ESP
  mov dword [TSS2 + 0x48], SEL_DATA32    ; ES
  mov dword [TSS2 + 0x4C], SEL_CODE32    ; CS
  mov dword [TSS2 + 0x50], SEL_DATA32    ; SS
  mov dword [TSS2 + 0x54], SEL_DATA32    ; DS
  mov dword [TSS2 + 0x58], SEL_DATA32    ; FS
  mov dword [TSS2 + 0x5C], SEL_DATA32    ; GS
  mov word [TSS2 + 102], 104
  SET_GATE 0x50, 0, 0x85, SEL_TSS2
  mov ebx, 0xABCD1234
  int 0x50
  mov eax, ebx
  CHECK "task-return-restores-registers", 0xABCD1234
  mov eax, [0x780]
  CHECK "task2-tr", SEL_TSS2
  mov eax, [0x784]
  CHECK "task2-nt-set", 0x4000
  mov eax, [0x788]
  CHECK "task2-back-link", SEL_TSS1
  mov eax, [0x78C]
  CHECK "task2-esp-from-tss", 0x5000
  str ax
  movzx eax, ax
  CHECK "task-return-tr", SEL_TSS1
  movzx eax, byte [GDT_RAM + SEL_TSS2 + 5]
  CHECK "task2-busy-cleared", 0x89
  movzx eax, byte [GDT_RAM + SEL_TSS1 + 5]
  CHECK "task1-still-busy", 0x8B
  pushfd
  pop eax
  and eax, 0x4000
  CHECK "task1-nt-clear", 0
; ---- double fault through a task gate (as Linux does): #GP while the #GP gate is not present
  mov dword [TSS3 + 0x20], df_task       ; EIP
  mov dword [TSS3 + 0x24], 0x002
  mov dword [TSS3 + 0x38], 0x4800        ; ESP
  mov dword [TSS3 + 0x48], SEL_DATA32
  mov dword [TSS3 + 0x4C], SEL_CODE32
  mov dword [TSS3 + 0x50], SEL_DATA32
  mov dword [TSS3 + 0x54], SEL_DATA32
  mov dword [TSS3 + 0x58], SEL_DATA32
  mov dword [TSS3 + 0x5C], SEL_DATA32
  mov word [TSS3 + 102], 104
  SET_GATE 8, 0, 0x85, SEL_TSS3
  and byte [IDT_RAM + 13*8 + 5], 0x7F     ; #GP gate not present: #GP -> #NP -> #DF
  mov dword [0x7A0], 0xFF
  mov ax, 0x100
  mov es, ax                             ; #GP(0x100)
  jmp $                                  ; not reached: the #DF task resumes task 1 at .r_df
.r_df:
  mov ax, SEL_DATA32
  mov es, ax
  mov eax, [0x7A0]
  CHECK "df-task-error-code", 0
  mov eax, [0x7A4]
  CHECK "df-task-tr", SEL_TSS3
  mov eax, [0x7A8]
  CHECK "df-task-back-link", SEL_TSS1
  str ax
  movzx eax, ax
  CHECK "df-return-tr", SEL_TSS1
  call finish_32

df_task:                                 ; error code 0 on the new task's stack
  mov eax, [esp]
  mov [0x7A0], eax
  str ax
  movzx eax, ax
  mov [0x7A4], eax
  movzx eax, word [TSS3]
  mov [0x7A8], eax
  or byte [IDT_RAM + 13*8 + 5], 0x80      ; repair the #GP gate
  mov dword [TSS1 + 0x20], h_sys.r_df     ; the saved EIP of a #DF is undefined: set it
  add esp, 4
  iret

task2:
  str ax
  movzx eax, ax
  mov [0x780], eax
  pushfd
  pop eax
  and eax, 0x4000
  mov [0x784], eax
  movzx eax, word [TSS2]
  mov [0x788], eax
  mov [0x78C], esp
  xor ebx, ebx
  iret

  PM32_ROM_END
