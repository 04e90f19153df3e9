from flask_wtf import FlaskForm
from wtforms import DateField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp


class LoginForm(FlaskForm):
    username = StringField(validators=[DataRequired(), Length(max=60)])
    password = PasswordField(validators=[DataRequired()])  # ok-category: password-storage


class StaffForm(FlaskForm):
    username = StringField(validators=[DataRequired(), Regexp(r"^[a-z][a-z0-9.]{2,59}$")])
    full_name = StringField(validators=[DataRequired(), Length(max=120)])
    role = SelectField(choices=[("nurse", "Nurse"), ("doctor", "Doctor"), ("admin", "Admin")])
    password = PasswordField(validators=[DataRequired(), Length(min=12)])


class PatientForm(FlaskForm):
    mrn = StringField(validators=[DataRequired(), Regexp(r"^MRN[0-9]{7}$")])
    first_name = StringField(validators=[DataRequired(), Length(max=80)])
    last_name = StringField(validators=[DataRequired(), Length(max=80)])
    birth_date = DateField(validators=[DataRequired()])
    ward = StringField(validators=[Optional(), Length(max=20)])
