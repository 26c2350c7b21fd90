// bench/cold: the floor, a child process that sends one message.
process.send(1);
