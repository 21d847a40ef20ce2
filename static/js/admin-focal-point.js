// The image admin's focal point: a click on the picture writes where it landed (0 to 1 across and down) into the
// focal_x and focal_y inputs, and the marker follows whatever the inputs hold, typed or clicked.
document.addEventListener("DOMContentLoaded", () => {
  for (const picker of document.querySelectorAll(".focal-picker")) {
    const picture = picker.querySelector("img");
    const marker = picker.querySelector(".focal-marker");
    const inputX = document.getElementById(picker.dataset.focalX);
    const inputY = document.getElementById(picker.dataset.focalY);
    if (!picture || !marker || !inputX || !inputY) continue;

    const place = () => {
      const x = Number.parseFloat(inputX.value);
      const y = Number.parseFloat(inputY.value);
      const inside = (v) => Number.isFinite(v) && v >= 0 && v <= 1;
      marker.hidden = !(inside(x) && inside(y));
      if (!marker.hidden) {
        marker.style.left = `${x * 100}%`;
        marker.style.top = `${y * 100}%`;
      }
    };
    const share = (offset, size) => (Math.min(Math.max(offset / size, 0), 1)).toFixed(3);

    picture.addEventListener("click", (event) => {
      const box = picture.getBoundingClientRect();
      inputX.value = share(event.clientX - box.left, box.width);
      inputY.value = share(event.clientY - box.top, box.height);
      for (const input of [inputX, inputY]) input.dispatchEvent(new Event("change", { bubbles: true }));
      place();
    });
    inputX.addEventListener("input", place);
    inputY.addEventListener("input", place);
    place();
  }
});
